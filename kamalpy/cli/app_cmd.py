"""`kamalpy app boot|start|stop|restart|logs|exec|details|containers|images|version|remove|
maintenance|live`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.deploy import app_ops
from kamalpy.deploy import deploy as flow
from kamalpy.deploy.context import Context
from kamalpy.errors import ExitCode, UsageError
from kamalpy.plan import deploy_plan

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers

Op = Callable[[Context, app_ops.Selection, argparse.Namespace], list[str]]

_SIMPLE: dict[str, tuple[str, bool, Op]] = {
    "details": ("show the app's containers", False, lambda c, s, a: app_ops.details(c, s)),
    "containers": (
        "show every app container, stopped too",
        False,
        lambda c, s, a: app_ops.containers(c, s),
    ),
    "images": ("show the app's images on the hosts", False, lambda c, s, a: app_ops.images(c, s)),
    "version": ("show the running version", False, lambda c, s, a: app_ops.version(c, s)),
    "start": ("start the newest container again", True, lambda c, s, a: app_ops.start(c, s)),
    "stop": ("stop the running container", True, lambda c, s, a: app_ops.stop(c, s)),
    "restart": (
        "stop then start the container",
        True,
        lambda c, s, a: app_ops.stop(c, s) + app_ops.start(c, s),
    ),
    "remove": (
        "remove containers, routes, env files and images",
        True,
        lambda c, s, a: app_ops.remove(c, s),
    ),
    "maintenance": (
        "the proxy answers 503 for the app",
        True,
        lambda c, s, a: app_ops.set_maintenance(c, s, on=True),
    ),
    "live": (
        "route to the running container again",
        True,
        lambda c, s, a: app_ops.set_maintenance(c, s, on=False),
    ),
}


def register(subparsers: Subparsers) -> None:
    """Add `app` and its subcommands."""
    parser = subparsers.add_parser("app", help="operate the app's containers")
    sub = parser.add_subparsers(dest="app_command", metavar="SUBCOMMAND", required=True)
    for name, (help_text, mutating, op) in _SIMPLE.items():
        p = sub.add_parser(name, help=help_text)
        fs.add_target_options(p, mutating=mutating)
        p.set_defaults(handler=_simple(op, stream=not mutating))
    p = sub.add_parser("boot", help="boot the configured version (same flow as deploy)")
    fs.add_target_options(p)
    p.add_argument("--lock-wait", type=float, default=0, metavar="SECONDS")
    p.set_defaults(handler=handle_boot)
    p = sub.add_parser("logs", help="show the app's recent log lines")
    fs.add_target_options(p, mutating=False)
    p.add_argument("-n", "--lines", type=int, default=100)
    p.add_argument("--grep", help="only lines containing this text")
    p.add_argument(
        "-f", "--follow", action="store_true", help="stream one host's logs until ^C (first host)"
    )
    p.set_defaults(handler=handle_logs)
    p = sub.add_parser("exec", help="run a command in a new (or, --reuse, the running) container")
    fs.add_target_options(p)
    p.add_argument(
        "-i", "--interactive", action="store_true", help="attach this terminal (first host only)"
    )
    p.add_argument("--reuse", action="store_true", help="exec in the running container")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(handler=handle_exec)


def _selection(args: argparse.Namespace) -> app_ops.Selection:
    return app_ops.Selection(fs.selection(args.hosts), fs.selection(args.roles))


def _simple(
    op: Op, *, stream: bool = False
) -> Callable[[argparse.Namespace, Console, Mapping[str, str]], int]:
    """A handler for `op`; `stream` (read-only ops): each host's answer as it arrives, then the
    hosts that were lost, instead of every answer in host order at the end."""

    def handler(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
        ctx = fs.running_context(args, console, environ, "app")
        if stream:
            ctx.emit = console.result
        with ctx.executor:
            for line in op(ctx, _selection(args), args):
                console.result(line)
        return ExitCode.OK

    return handler


def _attached(op: Callable[[Context, argparse.Namespace], int]) -> Callable[..., int]:
    def handler(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
        ctx = fs.running_context(args, console, environ, "app")
        with ctx.executor:
            return op(ctx, args)

    return handler


def handle_logs(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Recent log lines of every selected host, or (-f) one host's stream on this terminal."""
    if args.follow:
        follow = _attached(
            lambda c, a: app_ops.follow_logs(c, _selection(a), lines=a.lines, grep=a.grep)
        )
        return follow(args, console, environ)
    recent = _simple(lambda c, s, a: app_ops.logs(c, s, lines=a.lines, grep=a.grep), stream=True)
    return recent(args, console, environ)


def handle_exec(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Run a command on every selected host, or (-i) on one with this terminal attached."""
    if args.cmd[:1] == ["--"]:
        args.cmd = args.cmd[1:]
    if not args.cmd:
        raise UsageError("app exec needs a command, e.g. kamalpy app exec -- ls /")
    if args.interactive:
        attached = _attached(
            lambda c, a: app_ops.execute_attached(c, _selection(a), a.cmd, reuse=a.reuse)
        )
        return attached(args, console, environ)
    batch = _simple(lambda c, s, a: app_ops.execute(c, s, a.cmd, reuse=a.reuse))
    return batch(args, console, environ)


def handle_boot(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Boot the configured version on the selected hosts, through the full deploy flow."""
    ctx = fs.running_context(args, console, environ, "app")
    config = ctx.config
    plan = deploy_plan(config, hosts=fs.selection(args.hosts), roles=fs.selection(args.roles))
    with ctx.executor:
        summary = flow.deploy(ctx, plan, lock_wait=args.lock_wait, message="app boot")
    console.result(f"Booted {config.service} version {summary.version} in {summary.seconds:.1f}s")
    return ExitCode.OK
