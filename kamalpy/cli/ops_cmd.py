"""`kamalpy audit`, `lock acquire|release|status`, `prune`, `proxy boot|details|logs`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.commands import app_scripts, audit, proxy
from kamalpy.deploy import hostops, lock, proxy_ops
from kamalpy.deploy.context import Context
from kamalpy.errors import ExitCode
from kamalpy.plan import DeployPlan, deploy_plan

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add audit, lock, prune and proxy."""
    p = subparsers.add_parser("audit", help="the last lines of the audit log (primary host)")
    fs.add_target_options(p, mutating=False)
    p.add_argument("-n", "--lines", type=int, default=50)
    p.set_defaults(handler=handle_audit)
    p = subparsers.add_parser("prune", help="remove old stopped containers and unused images")
    fs.add_target_options(p)
    p.set_defaults(handler=handle_prune)
    lock_parser = subparsers.add_parser("lock", help="the deploy lock on the primary host")
    sub = lock_parser.add_subparsers(dest="lock_command", required=True, metavar="SUBCOMMAND")
    for name in ("acquire", "release", "status"):
        p = sub.add_parser(name, help=f"{name} the deploy lock")
        fs.add_target_options(p, mutating=name != "status")
        if name == "acquire":
            p.add_argument("-m", "--message", required=True)
        p.set_defaults(handler=handle_lock, lock_action=name)
    proxy_parser = subparsers.add_parser("proxy", help="the Traefik proxy on every host")
    sub = proxy_parser.add_subparsers(dest="proxy_command", required=True, metavar="SUBCOMMAND")
    for name in ("boot", "details", "logs", "reboot", "start", "stop", "restart", "remove"):
        p = sub.add_parser(name, help=_PROXY_HELP.get(name, f"proxy {name}"))
        fs.add_target_options(p, mutating=name not in ("details", "logs"))
        p.set_defaults(handler=handle_proxy, proxy_action=name)


def handle_audit(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """The audit log's last lines on the primary host."""
    ctx = fs.running_context(args, console, environ, "audit")
    config = ctx.config
    host = config.primary_host or ""
    with ctx.executor:
        out = hostops.run(
            ctx,
            host,
            audit.reveal_argv(config.service, config.destination, args.lines),
            check=False,
        )
    console.result(f"{host}:\n{out.stdout.rstrip()}")
    return ExitCode.OK


def handle_prune(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Keep `retain_containers` per role; remove older stopped containers and dangling images."""
    ctx = fs.running_context(args, console, environ, "prune")
    config = ctx.config
    plan = deploy_plan(config, hosts=fs.selection(args.hosts), roles=fs.selection(args.roles))
    with ctx.executor:
        for role in plan.roles:
            for step in role.hosts:
                hostops.timed(
                    ctx,
                    step.host,
                    f"{role.role}: prune containers",
                    partial(hostops.run, ctx, step.host, step.prune),
                )
        prune_images = app_scripts.prune_images_argv(config.service)
        for host in plan.hosts:
            hostops.timed(
                ctx,
                host,
                "prune images",
                partial(
                    hostops.run,
                    ctx,
                    host,
                    prune_images,
                    check=False,
                ),
            )
    return ExitCode.OK


def handle_lock(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Acquire, release or show the deploy lock."""
    ctx = fs.running_context(args, console, environ, "lock")
    config = ctx.config
    host = config.primary_host or ""
    with ctx.executor:
        if args.lock_action == "acquire":
            lock.acquire(ctx, host, args.message, manual=True)
            console.result(f"{host}: lock acquired")
        elif args.lock_action == "release":
            had = lock.release(ctx, host)
            console.result(f"{host}: lock released" if had else f"{host}: there was no lock")
        else:
            held = lock.status(ctx, host)
            console.result(f"{host}: {held}" if held else f"{host}: no lock")
    return ExitCode.OK


_PROXY_HELP = {
    "reboot": "replace the proxy container host by host (a new image), timing each host's gap",
    "remove": "remove the proxy container (every service on the host stops being routed)",
}


def _proxy_action(ctx: Context, plan: DeployPlan, host: str, action: str) -> str:
    """The state-changing proxy actions on one host."""
    if action == "reboot":
        return proxy_ops.reboot(ctx, plan.proxy, host)
    if action == "remove":
        return proxy_ops.remove(ctx, host)
    if action in ("stop", "restart"):
        hostops.run(ctx, host, proxy.stop_argv())
    if action in ("start", "restart"):
        hostops.run(ctx, host, proxy.start_argv())
    return {"stop": "stopped", "start": "started", "restart": "restarted"}[action]


def handle_proxy(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Boot the proxy where missing, or show its state or logs."""
    ctx = fs.running_context(args, console, environ, "proxy")
    config = ctx.config
    plan = deploy_plan(config, hosts=fs.selection(args.hosts))
    with ctx.executor:
        for host in plan.proxy_hosts:
            if args.proxy_action == "boot":  # one host at a time: a reconfiguration restarts it
                found = proxy_ops.ensure_network_and_proxy(ctx, plan, host)
                if found is not None:
                    proxy_ops.reconfigure_host(ctx, host, found)
                console.result(f"{host}: proxy running")
            elif args.proxy_action == "details":
                state = hostops.run(ctx, host, proxy.exists_argv(), check=False)
                console.result(f"{host}: {state.stdout.strip() or 'not running'}")
            elif args.proxy_action == "logs":
                out = hostops.run(ctx, host, proxy.logs_argv(), check=False)
                console.result(f"{host}:\n{(out.stdout + out.stderr).rstrip()}")
            else:  # one host at a time: the others keep serving meanwhile
                console.result(f"{host}: {_proxy_action(ctx, plan, host, args.proxy_action)}")
    return ExitCode.OK
