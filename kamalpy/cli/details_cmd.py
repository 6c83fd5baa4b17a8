"""`kamalpy details [--json] [--all]`: per host, every service's containers, the proxy, accessories.

Services are found by their labels, so a host shared by several services (of one monorepo or
of other repositories) shows all of them, not only the one whose deploy.yml was given.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.commands.details import Container, HostDetails, uptime
from kamalpy.deploy.details import collect
from kamalpy.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add `details`."""
    p = subparsers.add_parser(
        "details", help="per host: every service's containers, the proxy and the accessories"
    )
    fs.add_target_options(p, mutating=False, hosts=False)
    p.add_argument(
        "-H", "--hosts", dest="detail_hosts", help="comma-separated hosts (default: all)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="also stopped app containers")
    p.set_defaults(handler=handle_details)


def _state(c: Container, now: datetime) -> str:
    health = "" if c.health == "none" else f" {c.health}"
    up = uptime(c.started_at, now) if c.state == "running" else ""
    return f"{c.state}{health}" + (f" up {up}" if up else "")


def render(details: HostDetails, now: datetime) -> list[str]:
    """Terminal lines for one host: proxy, then app containers, then accessories."""
    host = details.host
    proxy = details.proxy
    lines = [f"{host} (proxy): " + (f"{_state(proxy, now)} {proxy.image}" if proxy else "none")]
    for app in details.apps:
        dest = f" -d {app.destination}" if app.destination else ""
        digests = "".join(f" {k.removeprefix('kamalpy.')}={v}" for k, v in app.digests.items())
        lines.append(
            f"{host} ({app.role}): {app.service}{dest} {app.version} {app.container.name} "
            f"{_state(app.container, now)}{digests}"
        )
    for acc in details.accessories:
        lines.append(f"{host} (accessory): {acc.name} {_state(acc, now)} {acc.image}")
    return lines


def handle_details(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Read every host at once, then print per host (or one JSON document)."""
    ctx = fs.running_context(args, console, environ, "details")
    known = ctx.config.all_hosts
    hosts = fs.selection(args.detail_hosts) or list(known)
    unknown = sorted(set(hosts) - set(known))
    if unknown:
        raise UsageError(
            f"unknown host(s): {', '.join(unknown)}", hint=f"hosts: {', '.join(known)}"
        )
    with ctx.executor:
        found = collect(ctx, hosts, all_apps=args.all)
    now = datetime.now(UTC)
    if args.json:
        console.result(json.dumps({"hosts": [d.to_json() for d in found]}, indent=2))
        return ExitCode.OK
    for details in found:
        for line in render(details, now):
            console.result(line)
    return ExitCode.OK
