"""`kamalpy deploy`, `redeploy` and `rollback [VERSION]`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.commands.docker_build import BuildSpec, build_spec, tag_argv
from kamalpy.deploy import deploy as flow
from kamalpy.deploy.context import Context
from kamalpy.deploy.env_files import check_env_files
from kamalpy.deploy.hooks import run_hook
from kamalpy.deploy.hostops import fan_out, run, timed
from kamalpy.deploy.image import goes_over_ssh, image_to_hosts, prepare_image
from kamalpy.deploy.lock import DEFAULT_STALE_AFTER
from kamalpy.deploy.registry import login_on as registry_login_on
from kamalpy.deploy.versions import previous_version, versions_on
from kamalpy.errors import ExitCode, UsageError
from kamalpy.executor.base import LOCAL, Target
from kamalpy.plan import deploy_plan

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add deploy, redeploy and rollback."""
    for name, help_text in (
        ("deploy", "build, push and deploy with zero downtime"),
        ("redeploy", "deploy without bootstrapping (same flow, no proxy boot)"),
    ):
        p = subparsers.add_parser(name, help=help_text)
        fs.add_target_options(p)
        p.add_argument(
            "--skip-push",
            action="store_true",
            help="do not build or push: the image is already in the registry",
        )
        p.add_argument(
            "--via-ssh",
            action="store_true",
            help="stream the image over ssh (docker save | docker load) instead of a registry",
        )
        p.add_argument(
            "--lock-wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait this long for another deploy's lock instead of failing",
        )
        _add_fault_options(p)
        p.set_defaults(handler=handle_deploy, command_name=name)
    p = subparsers.add_parser("rollback", help="boot a retained version again (default: previous)")
    fs.add_target_options(p)
    p.add_argument("rollback_version", nargs="?", metavar="VERSION")
    p.add_argument("--list", action="store_true", help="show the versions you can roll back to")
    p.add_argument("--lock-wait", type=float, default=0, metavar="SECONDS")
    _add_fault_options(p)
    p.set_defaults(handler=handle_rollback, command_name="rollback")


def _add_fault_options(p: argparse.ArgumentParser) -> None:
    """How a deploy treats a stale lock and a host lost after the health barrier."""
    p.add_argument(
        "--lock-stale-after",
        type=float,
        default=DEFAULT_STALE_AFTER,
        metavar="SECONDS",
        help="take over a lock whose holder sent no heartbeat for this long (default "
        f"{DEFAULT_STALE_AFTER:g}; a holder on this machine that is gone: at once)",
    )
    p.add_argument(
        "--no-switch-back",
        dest="switch_back",
        action="store_false",
        help="when a host fails after the health barrier, keep the hosts that already switched "
        "on the new version (default: switch them back, so a role serves one version)",
    )


def _login_on(ctx: Context, target: Target, *, via_ssh: bool) -> None:
    """`docker login` where images go through a registry with credentials, as Kamal does."""
    registry = ctx.config.registry
    if goes_over_ssh(ctx.config, via_ssh or None) or registry.password is None:
        return
    timed(ctx, target.name, f"registry login {registry.server}",
          lambda: registry_login_on(ctx.executor, target, registry, ctx.secrets))  # fmt: skip


def _pull_and_tag(ctx: Context, host: str) -> None:
    """Pull (label checked, `latest[-dest]` tagged) on one host, in one command."""
    image = build_spec(ctx.config).image
    timed(ctx, host, f"pull {image}", lambda: image_to_hosts(
        ctx.executor, ctx.config, [ctx.target(host)], via_ssh=False, tag=True)[host])  # fmt: skip


def _stream_to_hosts(ctx: Context, hosts: list[str]) -> None:
    """Registry-less: stream the image over ssh where it is missing, then tag `latest[-dest]`."""
    spec = build_spec(ctx.config)
    targets = [ctx.target(h) for h in hosts]
    results = image_to_hosts(ctx.executor, ctx.config, targets, via_ssh=True)
    for host in results.succeeded:
        ctx.console.step(host, results[host].describe(spec.image), results[host].seconds)
    for host in results.failed:
        ctx.console.step(host, f"stream {spec.image} over ssh", 0.0, ok=False)
    results.raise_for_failures()
    tagged = fan_out(ctx, hosts, lambda h: _tag_latest(ctx, h, spec))
    tagged.raise_for_failures()


def _tag_latest(ctx: Context, host: str, spec: BuildSpec) -> None:
    """Kamal's own `app version`/`details` look for containers of `<repo>:latest` first."""
    for tag in spec.tags[1:]:
        run(ctx, host, tag_argv(spec.image, tag))


def _build(ctx: Context, *, via_ssh: bool) -> None:
    """Build here (and push unless the image travels over ssh), with the secrets resolved once."""
    image = build_spec(ctx.config).image
    _login_on(ctx, LOCAL, via_ssh=via_ssh)
    timed(ctx, "local", f"build {image}", lambda: prepare_image(
        ctx.executor, ctx.config, ctx.secrets, via_ssh=via_ssh or None))  # fmt: skip


def _report(console: Console, summary: flow.Summary, service: str, verb: str) -> None:
    where = "; ".join(f"{role} → {', '.join(hosts)}" for role, hosts in summary.switched.items())
    console.result(f"{verb} {service} version {summary.version} in {summary.seconds:.1f}s: {where}")


def handle_deploy(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Deploy the configured version to the selected hosts and roles."""
    config = fs.load(args, environ)
    ctx = fs.make_context(args, console, environ, config, args.command_name)
    plan = deploy_plan(config, hosts=fs.selection(args.hosts), roles=fs.selection(args.roles))
    check_env_files(plan, ctx.secrets)  # refuse before the build and before any host
    stream = goes_over_ssh(config, args.via_ssh or None)
    with ctx.executor:
        if not args.skip_push:
            run_hook(ctx, "pre-build", hosts=list(plan.hosts))
            _build(ctx, via_ssh=args.via_ssh)
        summary = flow.deploy(
            ctx,
            plan,
            lock_wait=args.lock_wait,
            login_host=lambda h: _login_on(ctx, ctx.target(h), via_ssh=args.via_ssh),
            # Through a registry each host pulls at its own pace; streaming is one batch.
            deliver_host=None if stream else partial(_pull_and_tag, ctx),
            before_boot=partial(_stream_to_hosts, ctx, list(plan.hosts)) if stream else None,
            bootstrap=args.command_name == "deploy",
            lock_stale_after=args.lock_stale_after,
            switch_back=args.switch_back,
        )
    _report(console, summary, config.service, "Dry run of" if ctx.dry_run else "Deployed")
    return ExitCode.OK


def handle_rollback(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Roll back to VERSION (default: the previous retained one), or list candidates."""
    ctx = fs.running_context(args, console, environ, "rollback")
    config = ctx.config
    host = config.primary_host or ""
    with ctx.executor:
        if args.list:
            versions = versions_on(ctx, host, config.primary_role)
            console.result("\n".join(versions) if versions else "(no retained versions)")
            return ExitCode.OK
        version = args.rollback_version or previous_version(ctx, host, config.primary_role)
        if not version:
            raise UsageError(
                f"{host}: no previous version of {config.service} to roll back to",
                hint="give a VERSION; `kamalpy rollback --list` shows them",
            )
        config = fs.load(args, environ, version=version)
        ctx.config = config
        plan = deploy_plan(
            config, hosts=fs.selection(args.hosts), roles=fs.selection(args.roles), rollback=True
        )
        summary = flow.deploy(
            ctx, plan, lock_wait=args.lock_wait, message="rollback",
            lock_stale_after=args.lock_stale_after, switch_back=args.switch_back,
        )  # fmt: skip
    _report(
        console, summary, config.service, "Dry run of rollback to" if ctx.dry_run else "Rolled back"
    )
    return ExitCode.OK
