"""`details` across services: one `docker inspect` per host, classified by label."""

from __future__ import annotations

from collections.abc import Sequence

from kamalpy.commands import details
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context


def collect(
    ctx: Context, hosts: Sequence[str], *, all_apps: bool = False
) -> list[details.HostDetails]:
    """Every host's proxy, services and accessories (hosts in parallel, in the given order)."""

    def read(host: str) -> details.HostDetails:
        out = hostops.run(ctx, host, details.inspect_all_argv()).stdout
        return details.host_details(host, details.parse_inspect(out), all_apps=all_apps)

    results = hostops.fan_out(ctx, hosts, read)
    results.raise_for_failures()
    return [results[host] for host in dict.fromkeys(hosts)]
