"""`kamalpy accessory boot|reboot|upgrade|start|stop|restart|details|logs|exec|remove NAME|all`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.commands import accessory as accessory_cmds
from kamalpy.config.accessory_files import LocalFile, accessory_files
from kamalpy.config.model import Accessory
from kamalpy.deploy import accessory as flow
from kamalpy.deploy.context import Context
from kamalpy.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers

_HELP = {
    "boot": "boot the accessory where no container of it exists",
    "reboot": "stop, remove and boot it again (data in its directories and volumes stays)",
    "upgrade": "pull its configured image, then replace the container (data stays)",
    "start": "start its stopped container",
    "stop": "stop its container",
    "restart": "stop then start its container",
    "details": "show its container on each host",
    "logs": "show its recent log lines",
    "exec": "run a command in its running container",
    "remove": "remove its container, image, directory and env file (asks unless -y)",
}
_MUTATING = {"boot", "reboot", "upgrade", "start", "stop", "restart", "exec", "remove"}
_NEEDS_SECRETS = {"boot", "reboot", "upgrade"}


def register(subparsers: Subparsers) -> None:
    """Add `accessory` and its subcommands."""
    parser = subparsers.add_parser("accessory", help="databases and caches beside the app")
    sub = parser.add_subparsers(dest="accessory_command", metavar="SUBCOMMAND", required=True)
    for name, help_text in _HELP.items():
        p = sub.add_parser(name, help=help_text)
        fs.add_target_options(p, mutating=name in _MUTATING, hosts=False)
        p.add_argument("name", metavar="NAME", help="an accessory's name, or `all`")
        p.add_argument(
            "-H",
            "--hosts",
            dest="accessory_hosts",
            help="comma-separated hosts to act on (default: all of its hosts)",
        )
        p.add_argument("-r", "--roles", help="only its hosts that run these roles")
        if name == "logs":
            p.add_argument("-n", "--lines", type=int, default=100)
            p.add_argument("-f", "--follow", action="store_true", help="stream (first host)")
        if name == "exec":
            p.add_argument(
                "-i",
                "--interactive",
                action="store_true",
                help="attach this terminal (first host only)",
            )
            p.add_argument("cmd", nargs=argparse.REMAINDER)
        if name == "remove":
            p.add_argument("-y", "--yes", action="store_true", help="do not ask")
        p.set_defaults(handler=handle, accessory_action=name)


def _hosts(ctx: Context, args: argparse.Namespace) -> list[str] | None:
    """-H and -r narrowed to hosts; UsageError for a host no accessory runs on."""
    hosts = fs.selection(args.accessory_hosts)
    known = {h for a in ctx.config.accessories for h in a.hosts}
    unknown = sorted(set(hosts or ()) - known)
    if unknown:
        raise UsageError(
            f"unknown accessory host(s): {', '.join(unknown)}",
            hint=f"accessory hosts: {', '.join(sorted(known))}",
        )
    roles = fs.selection(args.roles)
    if roles is None:
        return hosts
    of_roles = {h for r in roles for h in ctx.config.hosts_for_role(r)}
    return [h for h in (hosts or sorted(known)) if h in of_roles]


def _action(
    ctx: Context, args: argparse.Namespace, environ: Mapping[str, str]
) -> Callable[[Accessory, str], str]:
    what = args.accessory_action

    def read(acc: Accessory) -> tuple[LocalFile, ...]:
        return accessory_files(Path(ctx.config.root), acc, environ)

    if what == "boot":
        return lambda a, h: flow.boot_on(ctx, a, h, read(a))
    if what in ("reboot", "upgrade"):
        return lambda a, h: flow.reboot_on(ctx, a, h, read(a), pull=what == "upgrade")
    if what == "restart":
        return lambda a, h: flow.restart_on(ctx, a, h)
    if what == "logs":
        return lambda a, h: flow.logs_on(ctx, a, h, args.lines)
    if what == "exec":
        return lambda a, h: flow.exec_on(ctx, a, h, args.cmd)
    simple = {
        "start": flow.start_on,
        "stop": flow.stop_on,
        "details": flow.details_on,
        "remove": flow.remove_on,
    }
    op = simple[what]
    return lambda a, h: op(ctx, a, h)


def _confirm(args: argparse.Namespace, console: Console, names: str) -> None:
    if args.yes or getattr(args, "dry_run", False):
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"accessory remove {args.name} deletes data and needs a confirmation",
            hint="pass -y to confirm without a terminal",
        )
    answer = input(f"Remove {names} (container, image, data directory, env file)? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError("not confirmed; nothing was removed")


def handle(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Run one accessory operation on each of the chosen accessories' hosts."""
    what = args.accessory_action
    if what == "exec":
        args.cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        if not args.cmd:
            raise UsageError("accessory exec needs a command, e.g. kamalpy accessory exec db -- ls")
    command = "accessory" if what in _NEEDS_SECRETS else "accessory-read"
    ctx = fs.running_context(args, console, environ, command)
    chosen = flow.select(ctx.config, args.name)
    hosts = _hosts(ctx, args)
    if what == "remove":
        _confirm(args, console, ", ".join(a.name for a in chosen))
    with ctx.executor:
        if (what == "logs" and args.follow) or (what == "exec" and args.interactive):
            return _attached(ctx, args, chosen, hosts)
        for line in flow.on_hosts(ctx, chosen, hosts, _action(ctx, args, environ)):
            console.result(line)
    return ExitCode.OK


def _attached(
    ctx: Context, args: argparse.Namespace, chosen: tuple[Accessory, ...], hosts: list[str] | None
) -> int:
    """`logs -f` or `exec -i` on the first chosen host of the first accessory."""
    acc = chosen[0]
    targets = flow.hosts_of(acc, hosts)
    if not targets:
        raise UsageError(f"accessory {acc.name} has no host in the selection")
    if args.accessory_action == "logs":
        argv = accessory_cmds.logs_argv(acc, lines=args.lines, follow=True)
        return ctx.executor.attach(ctx.target(targets[0]), argv)
    argv = accessory_cmds.exec_argv(acc, args.cmd, interactive=True)
    return ctx.executor.attach(ctx.target(targets[0]), argv, tty=True)
