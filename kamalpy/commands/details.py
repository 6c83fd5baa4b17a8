"""Pure: what runs on a host, read from one `docker inspect` of every container, by label.

Every service on the host is found by its labels, whichever repository deployed it: app
containers carry `service`, `role`, `destination` (Kamal's) and, from monorepo deploys,
`kamalpy.image-digest`, `kamalpy.runtime-digest`, `kamalpy.revision`; accessories carry only
`service`; the proxy is `kamal-proxy`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from kamalpy.commands.proxy import CONTAINER_NAME as PROXY_NAME

Argv = tuple[str, ...]
DIGEST_LABELS = ("kamalpy.image-digest", "kamalpy.runtime-digest", "kamalpy.revision")
# A failed `docker ps` fails the script: an unreachable daemon is not "no containers".
_INSPECT = (
    "ids=$(docker ps --all --quiet) || exit; "
    'if [ -n "$ids" ]; then docker inspect $ids; else echo "[]"; fi'
)


def inspect_all_argv() -> Argv:
    """`docker inspect` of every container on the host (a JSON list; `[]` when none)."""
    return ("sh", "-c", _INSPECT)


@dataclass(frozen=True)
class Container:
    """One container as details shows it."""

    name: str
    image: str
    state: str  # running, exited, ...
    health: str  # healthy, unhealthy, starting, or "none" without a Docker health check
    started_at: str  # ISO 8601 as Docker reports it
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def service(self) -> str:
        """The `service` label ("" without one)."""
        return self.labels.get("service", "")


@dataclass(frozen=True)
class AppContainer:
    """An app container: its service, role, destination, version and digest labels."""

    service: str
    role: str
    destination: str
    version: str
    container: Container
    digests: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostDetails:
    """Everything on one host: the proxy, each service's app containers, the accessories."""

    host: str
    proxy: Container | None
    apps: tuple[AppContainer, ...]
    accessories: tuple[Container, ...]

    def to_json(self) -> dict[str, object]:
        """Plain data for `--json`."""
        return asdict(self)


def parse_inspect(text: str) -> list[Container]:
    """Containers from `docker inspect` JSON (an unreadable answer is no containers)."""
    try:
        raw = json.loads(text or "[]")
    except ValueError:
        return []
    containers = []
    for item in raw if isinstance(raw, list) else []:
        state = item.get("State") or {}
        config = item.get("Config") or {}
        containers.append(
            Container(
                name=str(item.get("Name", "")).lstrip("/"),
                image=str(config.get("Image", "")),
                state=str(state.get("Status", "")),
                health=str((state.get("Health") or {}).get("Status", "none")),
                started_at=str(state.get("StartedAt", "")),
                labels=dict(config.get("Labels") or {}),
            )
        )
    return containers


def _app(container: Container) -> AppContainer:
    labels = container.labels
    prefix = "-".join(
        p for p in (labels["service"], labels["role"], labels.get("destination")) if p
    )
    name = container.name
    version = (
        name[len(prefix) + 1 :] if name.startswith(prefix + "-") else labels.get("version", "")
    )
    return AppContainer(
        service=labels["service"], role=labels["role"], destination=labels.get("destination", ""),
        version=version, container=container,
        digests={k: labels[k] for k in DIGEST_LABELS if k in labels},
    )  # fmt: skip


def host_details(host: str, containers: list[Container], *, all_apps: bool = False) -> HostDetails:
    """Classify a host's containers; app containers that are not running only with `all_apps`."""
    proxy = next((c for c in containers if c.name == PROXY_NAME), None)
    apps = [
        _app(c)
        for c in containers
        if "role" in c.labels and "service" in c.labels and (all_apps or c.state == "running")
    ]
    apps.sort(key=lambda a: (a.service, a.destination, a.role, a.version))
    accessories = sorted(
        (c for c in containers if c.service and "role" not in c.labels and c.name != PROXY_NAME),
        key=lambda c: c.name,
    )
    return HostDetails(host, proxy, tuple(apps), tuple(accessories))


def uptime(started_at: str, now: datetime) -> str:
    """`3d 4h`, `5m 10s`...: how long since Docker's StartedAt ("" when unknown)."""
    try:
        started = datetime.strptime(started_at[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return ""
    seconds = int((now - started).total_seconds())
    if seconds < 0 or started.year < 2000:  # Docker says 0001-01-01 for never started
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"
