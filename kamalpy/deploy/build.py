"""Build an image here, push it, pull it on hosts, or stream it to hosts without a registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kamalpy.commands.docker_build import (
    BuildSpec,
    build_argv,
    buildx_probe_argv,
    image_id_argv,
    image_label_argv,
    load_argv,
    pull_argv,
    push_argv,
    save_argv,
    secret_env,
)
from kamalpy.errors import DeployFailed
from kamalpy.executor.base import LOCAL, Completed, Executor, Target
from kamalpy.executor.fanout import HostResults, on_hosts
from kamalpy.sensitive import Sensitive


def has_buildx(executor: Executor) -> bool:
    """Whether this machine's docker has the buildx plugin (BuildKit)."""
    return executor.run(LOCAL, buildx_probe_argv(), check=False).ok


def build_image(
    executor: Executor,
    spec: BuildSpec,
    secrets: Mapping[str, Sensitive],
    *,
    buildx: bool,
    push: bool = False,
) -> Completed:
    """Build (and with buildx and `push`, push) the image; secrets reach docker via its env."""
    env = secret_env(
        spec, {name: secrets[name].reveal() for name in spec.secrets if name in secrets}
    )
    argv = build_argv(spec, buildx=buildx, push=push and buildx)
    return executor.run(LOCAL, argv, env=env or None)


def push_image(executor: Executor, spec: BuildSpec) -> list[Completed]:
    """Push every tag of the image (version, then latest)."""
    return [executor.run(LOCAL, push_argv(tag)) for tag in spec.tags]


def build_and_push(
    executor: Executor,
    spec: BuildSpec,
    secrets: Mapping[str, Sensitive],
    *,
    buildx: bool,
) -> None:
    """Build then push: one step with buildx (`--push`), two with the classic builder."""
    build_image(executor, spec, secrets, buildx=buildx, push=True)
    if not buildx:
        push_image(executor, spec)


def pull_on_hosts(
    executor: Executor, targets: Sequence[Target], spec: BuildSpec, *, limit: int | None = None
) -> HostResults[Completed]:
    """Pull the version image on every host in parallel and check its `service` label."""

    def pull(target: Target) -> Completed:
        result = executor.run(target, pull_argv(spec.image))
        check_service_label(executor, target, spec)
        return result

    return on_hosts(targets, pull, limit=limit)


def check_service_label(executor: Executor, target: Target, spec: BuildSpec) -> None:
    """Refuse an image that does not carry `service=<service>` (it was not built for it)."""
    label = executor.run(target, image_label_argv(spec.image)).stdout.strip()
    if label != spec.service:
        raise DeployFailed(
            f"{target.name}: image {spec.image} has label service={label!r}, "
            f"expected {spec.service!r}",
            hint="build and push it with `kamalpy build push`, which labels it",
        )


@dataclass(frozen=True)
class Delivery:
    """What registry-less delivery did on one host."""

    host: str
    sent: bool  # False: the host already had this exact image
    image_id: str
    seconds: float


def image_id(executor: Executor, target: Target, reference: str) -> str | None:
    """The image's content id on target, or None when it is absent."""
    result = executor.run(target, image_id_argv(reference), check=False)
    return result.stdout.strip() if result.ok and result.stdout.strip() else None


def deliver_over_ssh(
    executor: Executor, targets: Sequence[Target], spec: BuildSpec, *, limit: int | None = None
) -> HostResults[Delivery]:
    """Stream `docker save` here into `docker load` on each host that lacks the image id."""
    local_id = image_id(executor, LOCAL, spec.image)
    if local_id is None:
        raise DeployFailed(
            f"local: image {spec.image} not found; build it first",
            hint="run `kamalpy build push` (or deliver) to build it",
        )

    def deliver(target: Target) -> Delivery:
        present = image_id(executor, target, spec.image)
        if present == local_id:
            return Delivery(target.name, False, local_id, 0.0)
        streamed = executor.pipe(LOCAL, save_argv(*spec.tags), target, load_argv())
        loaded = image_id(executor, target, spec.image)
        if loaded != local_id:
            raise DeployFailed(
                f"{target.name}: after docker load, {spec.image} is {loaded} instead of {local_id}"
            )
        return Delivery(target.name, True, local_id, streamed.seconds)

    return on_hosts(targets, deliver, limit=limit)
