"""`kamalpy setup`: check the servers, then the proxy, the accessories and a deploy; repeatable.

At a monorepo's root it covers every service (or those chosen with -s): each host once.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.cli import deploy_cmd
from kamalpy.cli import flow_support as fs
from kamalpy.cli import monorepo_support as ms
from kamalpy.cli.fleet_cmd import add_deploy_options
from kamalpy.cli.monorepo_support import is_monorepo
from kamalpy.cli.output import Console
from kamalpy.config.accessory_files import accessory_files
from kamalpy.config.model import Accessory
from kamalpy.deploy import accessory
from kamalpy.deploy.changes import load_services
from kamalpy.deploy.context import Context
from kamalpy.deploy.setup import check_hosts, check_services

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
    if is_monorepo(args, Path.cwd()):
        return _setup_monorepo(args, console, environ)
    config = fs.load(args, environ)
    ctx = fs.make_context(args, console, environ, config, "deploy")
    hosts = fs.selection(args.hosts)
    with ctx.executor:
        check_hosts(ctx, [h for h in config.all_hosts if hosts is None or h in hosts])
        console.info("servers ready")
        _boot_accessories(ctx, hosts, environ)
    return deploy_cmd.handle_deploy(args, console, environ)


def _setup_monorepo(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Every selected service: each host checked once (for all of them), their accessories
    booted where absent, then the monorepo deploy (what changed; nothing on a second run)."""
    cwd = Path.cwd()
    with fs.make_executor(argparse.Namespace(), console) as reader:  # git reads, even dry
        configs = load_services(reader, cwd, ms.loader(args, environ, cwd), ms.selection(args))[3]
    hosts = fs.selection(args.hosts)
    with fs.make_executor(args, console) as executor:
        contexts = [fs.make_context(args, console, environ, config, "deploy", executor=executor)
                    for config in configs]  # fmt: skip
        check_services(contexts, hosts)
        console.info(f"servers ready ({', '.join(c.service for c in configs)})")
        for ctx in contexts:
            _boot_accessories(ctx, hosts, environ)
    return deploy_cmd.handle_deploy(args, console, environ)


def _boot_accessories(ctx: Context, hosts: list[str] | None, environ: Mapping[str, str]) -> None:
    """The service's accessories booted where absent (their files read here, in the CLI)."""
    config = ctx.config
    if not config.accessories:
        return

    def boot(acc: Accessory, host: str) -> str:
        files = accessory_files(Path(config.root), acc, environ)
        return accessory.boot_on(ctx, acc, host, files)

    for line in accessory.on_hosts(ctx, config.accessories, hosts, boot):
        ctx.console.result(line)
