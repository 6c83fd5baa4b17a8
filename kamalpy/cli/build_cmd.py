"""`kamalpy build push|pull|deliver`: build here, then move the image through a registry or ssh."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kamalpy.cli import build_support
from kamalpy.cli.output import Console
from kamalpy.commands.docker_build import BuildSpec, build_spec, image_id_argv, image_label_argv
from kamalpy.config.model import Configuration
from kamalpy.deploy.build import (
    build_and_push,
    build_image,
    deliver_over_ssh,
    has_buildx,
    pull_on_hosts,
)
from kamalpy.deploy.registry import uses_registry
from kamalpy.errors import ExitCode
from kamalpy.executor.base import Executor, Target
from kamalpy.executor.local import LocalExecutor
from kamalpy.executor.recording import RecordingExecutor

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

_ACTIONS = (
    ("push", "build the image here and push it (registry-less: build only)"),
    ("pull", "pull the image on every host (registry-less: stream it over ssh)"),
    ("deliver", "build, push and pull (registry-less: build and stream over ssh)"),
)


def register(subparsers: Subparsers) -> None:
    """Add `build push`, `build pull` and `build deliver`."""
    parser = subparsers.add_parser("build", help="build the image and get it onto the hosts")
    actions = parser.add_subparsers(dest="build_action", metavar="ACTION", required=True)
    for name, text in _ACTIONS:
        action = actions.add_parser(name, help=text, description=text)
        build_support.add_options(action, hosts=name != "push")
        action.add_argument(
            "--via-ssh",
            action="store_true",
            help="stream the image over ssh (docker save | docker load) even if a registry is set",
        )
        action.set_defaults(handler=run_build, build_action=name)


def run_build(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Run one `build` action."""
    config = build_support.load(args, environ)
    spec = build_spec(config)
    via_ssh = args.via_ssh or not uses_registry(config.registry)
    targets = () if args.build_action == "push" else build_support.app_targets(config, args)
    with build_support.make_executor(args, console) as executor:
        if isinstance(executor, RecordingExecutor):
            _prime_dry_run(executor, spec, targets)
        if args.build_action in ("push", "deliver"):
            _build(executor, console, config, spec, environ, push=not via_ssh)
        if args.build_action in ("pull", "deliver"):
            _to_hosts(
                executor, console, spec, targets, via_ssh, config.sshkit.max_concurrent_starts
            )
    return ExitCode.OK


def _build(
    executor: Executor,
    console: Console,
    config: Configuration,
    spec: BuildSpec,
    environ: Mapping[str, str],
    *,
    push: bool,
) -> None:
    secrets = build_support.secrets_named(config, spec.secrets, environ)
    # Probing for buildx is read-only, so it runs for real even in a dry run.
    buildx = has_buildx(LocalExecutor())
    start = time.monotonic()
    if push:
        build_and_push(executor, spec, secrets, buildx=buildx)
    else:
        build_image(executor, spec, secrets, buildx=buildx)
    what = f"{'build and push' if push else 'build'} {spec.image}"
    console.step("local", what, time.monotonic() - start)


def _to_hosts(
    executor: Executor,
    console: Console,
    spec: BuildSpec,
    targets: Sequence[Target],
    via_ssh: bool,
    limit: int,
) -> None:
    if via_ssh:
        deliveries = deliver_over_ssh(executor, targets, spec, limit=limit)
        for host, delivery in deliveries.results.items():
            what = "stream image over ssh" if delivery.sent else "image already present"
            console.step(host, f"{what} {spec.image}", delivery.seconds)
        _failed_steps(console, deliveries.failed, "deliver")
        deliveries.raise_for_failures()
        return
    pulls = pull_on_hosts(executor, targets, spec, limit=limit)
    for host, done in pulls.results.items():
        console.step(host, f"pull {spec.image}", done.seconds)
    _failed_steps(console, pulls.failed, "pull")
    pulls.raise_for_failures()


def _failed_steps(console: Console, hosts: Sequence[str], what: str) -> None:
    for host in hosts:
        console.step(host, what, 0.0, ok=False)


def _prime_dry_run(executor: RecordingExecutor, spec: BuildSpec, targets: Sequence[Target]) -> None:
    """Answers that let a dry run walk the whole flow: the image exists here, not on hosts."""
    executor.respond(image_label_argv(spec.image), stdout=spec.service)
    executor.respond(image_id_argv(spec.image), stdout="sha256:(dry-run)", target="local")
    for target in targets:
        executor.respond(image_id_argv(spec.image), exit_status=1, target=target.name, times=1)
    executor.respond(image_id_argv(spec.image), stdout="sha256:(dry-run)")
