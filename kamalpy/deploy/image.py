"""The two image steps of a deploy: make the image (build, push) and get it onto the hosts.

Through a registry (build, push, pull on hosts) or, for Kamal's local-registry form and
`--via-ssh`, without one (build here, stream to each host only what it lacks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kamalpy.commands.docker_build import BuildSpec, build_spec
from kamalpy.config.model import Configuration
from kamalpy.deploy.build import (
    build_and_push,
    build_image,
    deliver_over_ssh,
    has_buildx,
    pull_on_hosts,
)
from kamalpy.deploy.registry import uses_registry
from kamalpy.executor.base import Executor, Target
from kamalpy.executor.fanout import HostResults
from kamalpy.executor.local import LocalExecutor
from kamalpy.sensitive import Sensitive


@dataclass(frozen=True)
class HostImage:
    """How the image got onto one host."""

    host: str
    action: str  # pulled | streamed | present
    seconds: float
    layers_skipped: int = 0

    def describe(self, image: str) -> str:
        """One line for the per-host step output."""
        if self.action == "streamed" and self.layers_skipped:
            return f"stream {image} over ssh ({self.layers_skipped} layers already there)"
        verb = {"pulled": "pull", "streamed": "stream over ssh", "present": "already present"}
        return f"{verb[self.action]} {image}"


def secret_names(config: Configuration) -> tuple[str, ...]:
    """Secrets the image steps need: build secrets and the registry's credentials."""
    registry = config.registry
    creds = (c.secret for c in (registry.username, registry.password) if c and c.secret)
    return tuple(dict.fromkeys((*config.builder.secrets, *creds)))


def goes_over_ssh(config: Configuration, via_ssh: bool | None = None) -> bool:
    """True when images travel over ssh instead of through a registry."""
    return via_ssh if via_ssh is not None else not uses_registry(config.registry)


def prepare_image(
    executor: Executor,
    config: Configuration,
    secrets: Mapping[str, Sensitive],
    *,
    via_ssh: bool | None = None,
    buildx: bool | None = None,
    labels: Mapping[str, str] | None = None,
) -> BuildSpec:
    """Build the service's image here (with extra `labels`), and push it unless over ssh."""
    spec = build_spec(config, labels)
    # Probing for buildx is read-only, so it runs for real even under a dry run's executor.
    uses_buildx = has_buildx(LocalExecutor()) if buildx is None else buildx
    if goes_over_ssh(config, via_ssh):
        build_image(executor, spec, secrets, buildx=uses_buildx)
    else:
        build_and_push(executor, spec, secrets, buildx=uses_buildx)
    return spec


def image_to_hosts(
    executor: Executor,
    config: Configuration,
    targets: Sequence[Target],
    *,
    via_ssh: bool | None = None,
    limit: int | None = None,
    tag: bool = False,
) -> HostResults[HostImage]:
    """Pull the image on every host (with `tag`, also tag `latest`), or stream it over ssh."""
    spec = build_spec(config)
    limit = limit or config.extras.parallel_hosts
    if goes_over_ssh(config, via_ssh):
        sent = deliver_over_ssh(executor, targets, spec, limit=limit)
        results = {
            h: HostImage(h, "streamed" if d.sent else "present", d.seconds, d.layers_skipped)
            for h, d in sent.results.items()
        }
        return HostResults(sent.order, results, dict(sent.errors))
    pulled = pull_on_hosts(executor, targets, spec, limit=limit, tag=tag)
    results = {h: HostImage(h, "pulled", done.seconds) for h, done in pulled.results.items()}
    return HostResults(pulled.order, results, dict(pulled.errors))
