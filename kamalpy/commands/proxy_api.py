"""Pure readers of Traefik's API: which resource shows a role's route, and what it reports.

A route is confirmed by reading its service back from the API (published on the host's loopback)
until the servers listed are the ones just written: one backend URL after a deploy's switch or
`app live`, none in maintenance mode (Traefik then omits `servers` and answers 503).
"""

from __future__ import annotations

import json

from kamalpy.commands.health import split_http_response


def service_resource(route_name: str) -> str:
    """The API resource of a role's service as the file provider names it."""
    return f"http/services/{route_name}@file"


def reported_servers(raw_response: str) -> tuple[str, ...] | None:
    """Server URLs of a load-balancer service in a raw API response; None if not one (yet)."""
    status, body = split_http_response(raw_response)
    if status != 200:
        return None
    try:
        service = json.loads(body)
    except ValueError:
        return None
    balancer = service.get("loadBalancer") if isinstance(service, dict) else None
    if not isinstance(balancer, dict):
        return None
    servers = balancer.get("servers") or []
    if not isinstance(servers, list):
        return None
    return tuple(str(s.get("url", "")) for s in servers if isinstance(s, dict))


def describe_servers(servers: tuple[str, ...] | None) -> str:
    """How a reported server list reads in an error: the URLs, `no server`, or `nothing`."""
    if servers is None:
        return "nothing (no answer, or no such service)"
    return ", ".join(servers) if servers else "no server"
