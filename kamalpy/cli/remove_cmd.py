"""`kamalpy remove [-y]`: the service's containers, routes, accessories, env files and login."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.deploy.remove import remove_service
from kamalpy.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add `remove`."""
    p = subparsers.add_parser(
        "remove",
        help="remove the service from its hosts: app, accessories, routes, env files, login "
        "(the proxy only where no other service uses it)",
    )
    fs.add_target_options(p, hosts=False)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=handle_remove)


def confirm(args: argparse.Namespace, question: str, what: str) -> None:
    """Ask on the terminal unless -y or --dry-run; UsageError without a terminal or a yes."""
    if args.yes or getattr(args, "dry_run", False):
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"{what} needs a confirmation", hint="pass -y to confirm without a terminal"
        )
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise UsageError("not confirmed; nothing was removed")


def handle_remove(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Confirm, then remove the whole service."""
    ctx = fs.running_context(args, console, environ, "remove")
    config = ctx.config
    hosts = ", ".join(config.all_hosts)
    confirm(
        args,
        f"Remove {config.service_and_destination} from {hosts} (containers, accessories and their "
        "data, routes, env files)?",
        f"remove {config.service_and_destination}",
    )
    with ctx.executor:
        for line in remove_service(ctx):
            console.result(line)
    console.result(f"Removed {config.service_and_destination}")
    return ExitCode.OK
