"""What actually runs on the hosts, read back from container labels (parsed here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kamalpy.monorepo.digests import IMAGE_LABEL, PARTS_LABEL, REVISION_LABEL, RUNTIME_LABEL

_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Running:
    """One running app container and what its labels say it was built and configured from."""

    host: str
    name: str
    image: str
    service: str
    role: str
    destination: str
    image_digest: str | None = None
    runtime_digest: str | None = None
    revision: str | None = None
    runtime_parts: tuple[tuple[str, str], ...] = ()

    @property
    def labelled(self) -> bool:
        """True when kamalpy deployed it (both digest labels present)."""
        return bool(self.image_digest and self.runtime_digest)

    @property
    def version(self) -> str:
        """The version from the name `<service>-<role>[-<dest>]-<version>` (Kamal's scheme)."""
        prefix = "-".join(p for p in (self.service, self.role, self.destination) if p) + "-"
        return self.name[len(prefix) :] if self.name.startswith(prefix) else ""

    @property
    def source_revision(self) -> str | None:
        """The git revision it was built from: the label, else a commit SHA in the version."""
        if self.revision:
            return self.revision
        match = _SHA.match(self.version)
        return match.group(0) if match else None


def parse_running(host: str, text: str) -> tuple[Running, ...]:
    """Parse `commands.running.running_containers_argv` output; odd lines are skipped."""
    found = []
    for line in text.splitlines():
        name, _, rest = line.partition("\t")
        image, _, labels_json = rest.partition("\t")
        try:
            labels = json.loads(labels_json) or {}
        except json.JSONDecodeError:
            continue
        if not isinstance(labels, dict) or "service" not in labels:
            continue
        found.append(_running(host, name.lstrip("/"), image, labels))
    return tuple(found)


def _running(host: str, name: str, image: str, labels: dict[str, str]) -> Running:
    try:
        parts = json.loads(labels.get(PARTS_LABEL) or "{}")
    except json.JSONDecodeError:
        parts = {}
    return Running(
        host=host,
        name=name,
        image=image,
        service=labels.get("service", ""),
        role=labels.get("role", ""),
        destination=labels.get("destination", ""),
        image_digest=labels.get(IMAGE_LABEL) or None,
        runtime_digest=labels.get(RUNTIME_LABEL) or None,
        revision=labels.get(REVISION_LABEL) or None,
        runtime_parts=tuple(sorted(parts.items())) if isinstance(parts, dict) else (),
    )


def of_service(
    running: Iterable[Running], service: str, destination: str | None
) -> tuple[Running, ...]:
    """The containers of one service and destination."""
    return tuple(
        r for r in running if r.service == service and r.destination == (destination or "")
    )
