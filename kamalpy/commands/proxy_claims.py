"""Pure: which host + path each route on a proxy claims, and which claims collide.

Services of one monorepo (and of other repositories) share each host's Traefik. Two routes that
claim the same host name and the same path prefix would silently split traffic, so a deploy reads
the route files already on the host and refuses, naming both, before anything changes.

A claim is `(host, path)`: `host` is `*` for a route that answers any host name, `path` is `/`
without a path prefix. Claims are read back from the router rules kamalpy writes
(``Host(`a`, `b`) && PathPrefix(`/x`)``), so a hand-written file with such rules counts too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import yaml

from kamalpy.commands.proxy import DYNAMIC_DIR

Argv = tuple[str, ...]
Claim = tuple[str, str]
ANY_HOST = "*"
_MARK = "#@kamalpy-route-file "
_READ = (
    'for f in "$1"/*.yml "$1"/*.yaml; do [ -f "$f" ] || continue; '
    'printf "\\n%s%s\\n" "$2" "${f##*/}"; cat -- "$f"; done'
)
_HOST = re.compile(r"Host\(([^)]*)\)")
_PREFIX = re.compile(r"PathPrefix\(`([^`]*)`\)")
_QUOTED = re.compile(r"`([^`]*)`")


def claims_of(hosts: Sequence[str], path_prefixes: Sequence[str]) -> frozenset[Claim]:
    """Every (host, path) pair a route with these proxy hosts and path prefixes answers."""
    prefixes = [p.rstrip("/") or "/" for p in path_prefixes if p] or ["/"]
    return frozenset((h.lower(), p) for h in (hosts or [ANY_HOST]) for p in prefixes)


def claims_of_rule(rule: str) -> frozenset[Claim]:
    """The claims of one Traefik router rule in the form kamalpy writes."""
    hosts = [h for group in _HOST.findall(rule) for h in _QUOTED.findall(group)]
    return claims_of(hosts, _PREFIX.findall(rule))


def read_routes_argv() -> Argv:
    """Print every route file in the watched directory, each after a marker line with its name."""
    return ("sh", "-c", _READ, "kamalpy-routes", DYNAMIC_DIR, _MARK)


def parse_routes(output: str) -> dict[str, frozenset[Claim]]:
    """File stem -> the claims of its routers (files that are not valid YAML claim nothing)."""
    routes: dict[str, frozenset[Claim]] = {}
    for chunk in output.split("\n" + _MARK)[1:]:
        name, _, body = chunk.partition("\n")
        stem = name.rsplit(".", 1)[0]
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError:
            continue
        http = data.get("http") if isinstance(data, dict) else None
        routers = http.get("routers") if isinstance(http, dict) else None
        rules = [r.get("rule", "") for r in (routers or {}).values() if isinstance(r, dict)]
        routes[stem] = frozenset(c for rule in rules for c in claims_of_rule(str(rule)))
    return routes


@dataclass(frozen=True)
class Conflict:
    """Our route `ours` and another route `theirs` both claim `claims`."""

    ours: str
    theirs: str
    claims: frozenset[Claim]

    def describe(self) -> str:
        """`web-a and web-b both claim shop.test/api`."""
        shown = ", ".join(
            f"{'any host' if h == ANY_HOST else h}{p}" for h, p in sorted(self.claims)
        )
        return f"{self.ours} and {self.theirs} both claim {shown}"


def conflicts(
    ours: Mapping[str, frozenset[Claim]], others: Mapping[str, frozenset[Claim]]
) -> list[Conflict]:
    """Pairs (ours, another route) claiming the same host + path; routes named like ours skip."""
    found = []
    for name, claims in sorted(ours.items()):
        for other, theirs in sorted(others.items()):
            shared = claims & theirs
            if other not in ours and shared:
                found.append(Conflict(name, other, frozenset(shared)))
    return found


def conflicts_within(routes: Iterable[tuple[str, frozenset[Claim]]]) -> list[Conflict]:
    """Collisions among routes deployed together (e.g. several services of one monorepo)."""
    seen: list[tuple[str, frozenset[Claim]]] = []
    holders: dict[Claim, list[int]] = {}  # claim -> the earlier routes holding it, by index
    found = []
    for name, claims in routes:
        # Only routes sharing a claim can conflict: 500 services are not 125k intersections.
        earlier = sorted({index for claim in claims for index in holders.get(claim, ())})
        found += [Conflict(name, seen[i][0], frozenset(claims & seen[i][1])) for i in earlier]
        for claim in claims:
            holders.setdefault(claim, []).append(len(seen))
        seen.append((name, claims))
    return found
