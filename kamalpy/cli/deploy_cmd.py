"""`kamalpy deploy`, `redeploy` and `rollback [VERSION]`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.deploy import deploy as flow
from kamalpy.deploy.context import Context
from kamalpy.deploy.hostops import fan_out, run, timed
from kamalpy.deploy.versions import previous_version, versions_on
from kamalpy.errors import ExitCode, UsageError
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
            "--lock-wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait this long for another deploy's lock instead of failing",
        )
        p.set_defaults(handler=handle_deploy, command_name=name)
    p = subparsers.add_parser("rollback", help="boot a retained version again (default: previous)")
    fs.add_target_options(p)
    p.add_argument("rollback_version", nargs="?", metavar="VERSION")
    p.add_argument("--list", action="store_true", help="show the versions you can roll back to")
    p.add_argument("--lock-wait", type=float, default=0, metavar="SECONDS")
    p.set_defaults(handler=handle_rollback, command_name="rollback")


def _pull(ctx: Context, image: str, hosts: list[str]) -> None:
    latest = ctx.config.latest_image

    def pull(host: str) -> None:
        run(ctx, host, ("docker", "pull", image))
        # Kamal's own `app version`/`details` look for containers of `<repo>:latest` first.
        run(ctx, host, ("docker", "tag", image, latest))

    results = fan_out(
        ctx,
        hosts,
        lambda h: timed(ctx, h, f"pull {image}", lambda: pull(h)),
    )
    results.raise_for_failures()


def _build_and_push(ctx: Context) -> None:
    try:
        from kamalpy.deploy import build  # type: ignore[attr-defined]
    except ImportError as error:
        raise UsageError(
            "building is not available in this build of kamalpy",
            hint="pass --skip-push with an image already in the registry",
        ) from error
    build.build_and_push(ctx)


def _report(console: Console, summary: flow.Summary, service: str, verb: str) -> None:
    where = "; ".join(f"{role} → {', '.join(hosts)}" for role, hosts in summary.switched.items())
    console.result(f"{verb} {service} version {summary.version} in {summary.seconds:.1f}s: {where}")


def handle_deploy(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Deploy the configured version to the selected hosts and roles."""
    config = fs.load(args, environ)
    ctx = fs.make_context(args, console, environ, config, args.command_name)
    plan = deploy_plan(config, hosts=fs.selection(args.hosts), roles=fs.selection(args.roles))
    with ctx.executor:
        if not args.skip_push:
            _build_and_push(ctx)
        summary = flow.deploy(
            ctx,
            plan,
            lock_wait=args.lock_wait,
            before_boot=lambda: _pull(ctx, plan.image, list(plan.hosts)),
        )
    _report(console, summary, config.service, "Dry run of" if ctx.dry_run else "Deployed")
    return ExitCode.OK


def handle_rollback(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Roll back to VERSION (default: the previous retained one), or list candidates."""
    config = fs.load(args, environ, fallback_version="latest")
    ctx = fs.make_context(args, console, environ, config, "rollback")
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
        summary = flow.deploy(ctx, plan, lock_wait=args.lock_wait, message="rollback")
    _report(
        console, summary, config.service, "Dry run of rollback to" if ctx.dry_run else "Rolled back"
    )
    return ExitCode.OK
