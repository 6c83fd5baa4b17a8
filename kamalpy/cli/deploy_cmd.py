"""`kamalpy deploy`, `redeploy` and `rollback [VERSION]`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.fleet_cmd import add_deploy_options, handle_monorepo_deploy
from kamalpy.cli.monorepo_support import is_monorepo
from kamalpy.cli.output import Console
from kamalpy.deploy import deploy as flow
from kamalpy.deploy.delivery import build_here, login_on, pull_and_tag, stream_to_hosts
from kamalpy.deploy.env_files import check_env_files
from kamalpy.deploy.hooks import run_hook
from kamalpy.deploy.image import goes_over_ssh
from kamalpy.deploy.lock import DEFAULT_STALE_AFTER
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
        add_fault_options(p)
        if name == "deploy":
            add_deploy_options(p)
        p.set_defaults(handler=handle_deploy, command_name=name)
    p = subparsers.add_parser("rollback", help="boot a retained version again (default: previous)")
    fs.add_target_options(p)
    p.add_argument("rollback_version", nargs="?", metavar="VERSION")
    p.add_argument("--list", action="store_true", help="show the versions you can roll back to")
    p.add_argument("--lock-wait", type=float, default=0, metavar="SECONDS")
    add_fault_options(p)
    p.set_defaults(handler=handle_rollback, command_name="rollback")


def add_fault_options(p: argparse.ArgumentParser) -> None:
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


def _report(console: Console, summary: flow.Summary, service: str, verb: str) -> None:
    where = "; ".join(f"{role} → {', '.join(hosts)}" for role, hosts in summary.switched.items())
    console.result(f"{verb} {service} version {summary.version} in {summary.seconds:.1f}s: {where}")


def handle_deploy(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Deploy the configured version to the selected hosts and roles (a monorepo: what changed)."""
    if args.command_name == "deploy" and is_monorepo(args, Path.cwd()):
        return handle_monorepo_deploy(args, console, environ)
    config = fs.load(args, environ)
    ctx = fs.make_context(args, console, environ, config, args.command_name)
    plan = deploy_plan(config, hosts=fs.selection(args.hosts), roles=fs.selection(args.roles))
    check_env_files(plan, ctx.secrets)  # refuse before the build and before any host
    stream = goes_over_ssh(config, args.via_ssh or None)
    with ctx.executor:
        if not args.skip_push:
            run_hook(ctx, "pre-build", hosts=list(plan.hosts))
            build_here(ctx, via_ssh=args.via_ssh)
        summary = flow.deploy(
            ctx,
            plan,
            lock_wait=args.lock_wait,
            login_host=lambda h: login_on(ctx, ctx.target(h), via_ssh=args.via_ssh),
            # Through a registry each host pulls at its own pace; streaming is one batch.
            deliver_host=None if stream else partial(pull_and_tag, ctx),
            before_boot=partial(stream_to_hosts, ctx, list(plan.hosts)) if stream else None,
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
