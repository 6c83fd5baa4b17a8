"""Build an image here, push it, pull it on hosts, or stream it to hosts without a registry."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kamalpy.commands.docker_build import (
    LABEL_MISMATCH,
    BuildSpec,
    all_image_ids_argv,
    build_argv,
    buildx_probe_argv,
    cat_argv,
    image_id_argv,
    image_layers_argv,
    load_argv,
    pull_checked_argv,
    push_argv,
    save_argv,
    secret_env,
    shared_leading_layers,
    tag_argv,
)
from kamalpy.errors import DeployFailed
from kamalpy.executor.base import LOCAL, Completed, Executor, Target, check_completed
from kamalpy.executor.fanout import HostResults, on_hosts
from kamalpy.executor.imagetar import ImageArchive
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
    executor: Executor,
    targets: Sequence[Target],
    spec: BuildSpec,
    *,
    limit: int | None = None,
    tag: bool = False,
) -> HostResults[Completed]:
    """Pull the image on every host, check its `service` label, with `tag` tag `latest`."""
    argv = pull_checked_argv(spec.image, spec.service, spec.tags[1:] if tag else ())

    def pull(target: Target) -> Completed:
        result = executor.run(target, argv, check=False)
        if result.exit_status == LABEL_MISMATCH:
            raise DeployFailed(
                f"{target.name}: image {spec.image} has label service={result.stdout!r}, "
                f"expected {spec.service!r}",
                hint="build and push it with `kamalpy build push`, which labels it",
            )
        return check_completed(result)

    return on_hosts(targets, pull, limit=limit)


@dataclass(frozen=True)
class Delivery:
    """What registry-less delivery did on one host."""

    host: str
    sent: bool  # False: the host already had this exact image
    image_id: str
    seconds: float
    layers_skipped: int = 0  # leading layers the host already had, left out of the stream


def image_id(executor: Executor, target: Target, reference: str) -> str | None:
    """The image's content id on target, or None when it is absent."""
    result = executor.run(target, image_id_argv(reference), check=False)
    return result.stdout.strip() if result.ok and result.stdout.strip() else None


def image_layers(executor: Executor, target: Target, *references: str) -> list[list[str]]:
    """The layer diff ids of each image (none when `references` is empty)."""
    if not references:
        return []
    out = executor.run(target, image_layers_argv(*references), check=False).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("[")]


def deliver_over_ssh(
    executor: Executor, targets: Sequence[Target], spec: BuildSpec, *, limit: int | None = None
) -> HostResults[Delivery]:
    """Stream the image to each host lacking it, leaving out the leading layers it already has."""
    local_id = image_id(executor, LOCAL, spec.image)
    if local_id is None:
        raise DeployFailed(
            f"local: image {spec.image} not found; build it first",
            hint="run `kamalpy build push` (or deliver) to build it",
        )
    ours = (image_layers(executor, LOCAL, spec.image) or [[]])[0]
    # Only the version is sent (`latest` may already name a newer build here); hosts tag it.
    with ImageArchive(executor, (spec.image,)) as archive:

        def deliver(target: Target) -> Delivery:
            if image_id(executor, target, spec.image) == local_id:
                return Delivery(target.name, False, local_id, 0.0)
            skipped, seconds = _stream(executor, archive, target, spec, ours)
            for tag in spec.tags[1:]:
                executor.run(target, tag_argv(spec.image, tag))
            loaded = image_id(executor, target, spec.image)
            if loaded != local_id:
                raise DeployFailed(
                    f"{target.name}: after docker load, {spec.image} is {loaded} "
                    f"instead of {local_id}"
                )
            return Delivery(target.name, True, local_id, seconds, skipped)

        return on_hosts(targets, deliver, limit=limit)


def _stream(
    executor: Executor, archive: ImageArchive, target: Target, spec: BuildSpec, ours: list[str]
) -> tuple[int, float]:
    """Send the image; returns (layers left out, seconds). A thin tar that fails falls back."""
    ids = executor.run(target, all_image_ids_argv(), check=False).stdout.split()
    shared = shared_leading_layers(ours, image_layers(executor, target, *dict.fromkeys(ids)))
    if shared:
        path = str(archive.thin(shared))
        thin = executor.pipe(LOCAL, cat_argv(path), target, load_argv(), check=False)
        if thin.ok:
            return shared, thin.seconds
        # `docker load` is safe to repeat: fall back to the whole image.
    full = executor.pipe(LOCAL, save_argv(spec.image), target, load_argv())
    return 0, full.seconds
