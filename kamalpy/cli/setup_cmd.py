"""`kamalpy setup`: check the servers, then the proxy, the accessories and a deploy; repeatable."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.cli import deploy_cmd
from kamalpy.cli import flow_support as fs
from kamalpy.cli.fleet_cmd import add_deploy_options
from kamalpy.cli.output import Console
from kamalpy.config.accessory_files import accessory_files
from kamalpy.config.model import Accessory
from kamalpy.deploy import accessory
from kamalpy.deploy.setup import check_hosts

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add `setup`."""
    p = subparsers.add_parser(
        "setup",
        help="check the servers (saying exactly what to fix), install Docker where absent, "
        "then boot the proxy and accessories and deploy; safe to run again",
    )
    fs.add_target_options(p)
    p.add_argument("--skip-push", action="store_true", help="the image is already in the registry")
    p.add_argument("--via-ssh", action="store_true", help="stream the image over ssh")
    p.add_argument("--lock-wait", type=float, default=0, metavar="SECONDS")
    deploy_cmd.add_fault_options(p)  # its deploy takes the deploy's options
    add_deploy_options(p)  # the deploy at the end is `deploy`'s, monorepo options included
    p.set_defaults(handler=handle_setup, command_name="deploy")


def handle_setup(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Checks first (nothing changes if one fails), accessories where absent, then a deploy."""
    config = fs.load(args, environ)
    ctx = fs.make_context(args, console, environ, config, "deploy")
    hosts = fs.selection(args.hosts)
    with ctx.executor:
        check_hosts(ctx, [h for h in config.all_hosts if hosts is None or h in hosts])
        console.info("servers ready")
        if config.accessories:

            def boot(acc: Accessory, host: str) -> str:
                files = accessory_files(Path(config.root), acc, environ)
                return accessory.boot_on(ctx, acc, host, files)

            for line in accessory.on_hosts(ctx, config.accessories, hosts, boot):
                console.result(line)
    return deploy_cmd.handle_deploy(args, console, environ)
