"""`kamalpy build push|pull|deliver`: build here, then move the image through a registry or ssh."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kamalpy.cli import build_support
from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.commands.docker_build import BuildSpec, build_spec, image_id_argv
from kamalpy.deploy.image import goes_over_ssh, image_to_hosts, prepare_image
from kamalpy.errors import ExitCode
from kamalpy.executor.base import Target
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
        fs.add_target_options(action, hosts=name != "push")
        action.add_argument(
            "--via-ssh",
            action="store_true",
            help="stream the image over ssh (docker save | docker load) even if a registry is set",
        )
        action.set_defaults(handler=run_build, build_action=name)


def run_build(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Run one `build` action."""
    config = fs.load(args, environ)
    spec = build_spec(config)
    via_ssh = goes_over_ssh(config, True if args.via_ssh else None)
    targets = () if args.build_action == "push" else build_support.app_targets(config, args)
    with fs.host_executor(args, console, environ, config) as executor:
        if isinstance(executor, RecordingExecutor):
            _prime_dry_run(executor, spec, targets)
        if args.build_action in ("push", "deliver"):
            secrets = build_support.secrets_named(config, config.builder.secrets, environ)
            start = time.monotonic()
            prepare_image(executor, config, secrets, via_ssh=via_ssh)
            what = "build" if via_ssh else "build and push"
            console.step("local", f"{what} {spec.image}", time.monotonic() - start)
        if args.build_action in ("pull", "deliver"):
            results = image_to_hosts(executor, config, targets, via_ssh=via_ssh)
            for host in results:
                done = results.results.get(host)
                what = done.describe(spec.image) if done else f"image to host {spec.image}"
                console.step(host, what, done.seconds if done else 0.0, ok=done is not None)
            results.raise_for_failures()
    return ExitCode.OK


def _prime_dry_run(executor: RecordingExecutor, spec: BuildSpec, targets: Sequence[Target]) -> None:
    """Answers that let a dry run walk the whole flow: the image exists here, not on hosts."""
    executor.respond(image_id_argv(spec.image), stdout="sha256:(dry-run)", target="local")
    for target in targets:
        executor.respond(image_id_argv(spec.image), exit_status=1, target=target.name, times=1)
    executor.respond(image_id_argv(spec.image), stdout="sha256:(dry-run)")
