"""Pure builders for building, tagging, moving and inspecting images."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kamalpy.config.model import Configuration
from kamalpy.errors import UsageError

SERVICE_LABEL = "service"


@dataclass(frozen=True)
class BuildSpec:
    """Everything a `docker build` needs; secrets are NAMES (values go in the child's env)."""

    service: str
    tags: tuple[str, ...]  # full references; the first is the version image
    context: str
    dockerfile: str
    target: str | None = None
    args: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # besides `service`: e.g. the monorepo digests

    @property
    def image(self) -> str:
        """The version reference every container runs."""
        return self.tags[0]


def build_spec(config: Configuration, labels: Mapping[str, str] | None = None) -> BuildSpec:
    """The build of one service: tags `version` and `latest[-dest]`, paths relative to its root."""
    builder = config.builder
    root = Path(config.root)
    return BuildSpec(
        service=config.service,
        tags=(config.absolute_image, config.latest_image),
        context=str(root / (builder.context or ".")),
        dockerfile=str(root / builder.dockerfile),
        target=builder.target,
        args=tuple(builder.args.items()),
        secrets=builder.secrets,
        platforms=tuple(_platform(arch) for arch in builder.arch),
        labels=tuple((labels or {}).items()),
    )


def _platform(arch: str) -> str:
    return arch if "/" in arch else f"linux/{arch}"


def buildx_probe_argv() -> tuple[str, ...]:
    """Exits 0 when the buildx plugin (BuildKit) is installed."""
    return ("docker", "buildx", "version")


def build_argv(spec: BuildSpec, *, buildx: bool, push: bool = False) -> tuple[str, ...]:
    """`docker buildx build` (BuildKit) or the classic `docker build` for this spec."""
    common = (*_tag_label_file_args(spec), *_arg_args(spec))
    if buildx:
        return _buildx_argv(spec, common, push)
    if spec.secrets:
        raise UsageError(
            f"builder.secrets ({', '.join(spec.secrets)}) need BuildKit, and `docker buildx` "
            "is not installed here",
            hint="install the docker buildx plugin, or remove builder.secrets",
        )
    if len(spec.platforms) > 1:
        raise UsageError(
            f"a multi-arch build ({', '.join(spec.platforms)}) needs `docker buildx`",
            hint="install the docker buildx plugin, or list one builder.arch",
        )
    platform = ("--platform", spec.platforms[0]) if spec.platforms else ()
    return ("docker", "build", *platform, *common, spec.context)


def _buildx_argv(spec: BuildSpec, common: tuple[str, ...], push: bool) -> tuple[str, ...]:
    if len(spec.platforms) > 1 and not push:
        raise UsageError("a multi-arch image can only be pushed, not loaded locally")
    platform = ("--platform", ",".join(spec.platforms)) if spec.platforms else ()
    # The value of each secret is read by docker from its own environment, never from argv.
    secrets = tuple(tok for name in spec.secrets for tok in ("--secret", f"id={name},env={name}"))
    output = "--push" if push else "--load"
    return ("docker", "buildx", "build", *platform, *common, *secrets, output, spec.context)


def _tag_label_file_args(spec: BuildSpec) -> tuple[str, ...]:
    tags = tuple(tok for tag in spec.tags for tok in ("--tag", tag))
    pairs = ((SERVICE_LABEL, spec.service), *spec.labels)
    label = tuple(tok for k, v in pairs for tok in ("--label", f"{k}={v}"))
    target = ("--target", spec.target) if spec.target else ()
    return (*tags, *label, "--file", spec.dockerfile, *target)


def _arg_args(spec: BuildSpec) -> tuple[str, ...]:
    return tuple(tok for key, value in spec.args for tok in ("--build-arg", f"{key}={value}"))


def secret_env(spec: BuildSpec, values: Mapping[str, str]) -> dict[str, str]:
    """The docker process's extra environment: one variable per build secret."""
    missing = [name for name in spec.secrets if name not in values]
    if missing:
        raise UsageError(f"build secret(s) not found in the secrets store: {', '.join(missing)}")
    return {name: values[name] for name in spec.secrets}


def push_argv(reference: str) -> tuple[str, ...]:
    """Push one image reference."""
    return ("docker", "push", reference)


# `pull_checked_argv` exits with this (printing the label it found) for an image of another service.
LABEL_MISMATCH = 65

_PULL_CHECKED = (
    'docker pull "$1" >/dev/null || exit; '
    'label=$(docker image inspect --format "$3" "$1") || exit; '
    'if [ "$label" != "$2" ]; then printf %s "$label"; exit 65; fi; '
    'image=$1; shift 3; for tag in "$@"; do docker tag "$image" "$tag" || exit; done'
)


def pull_checked_argv(
    reference: str, service: str, tags: tuple[str, ...] = (), label: str = SERVICE_LABEL
) -> tuple[str, ...]:
    """Pull, refuse an image whose `label` is not `service` (exit 65), then add `tags`: one trip."""
    label_format = f'{{{{index .Config.Labels "{label}"}}}}'
    return ("sh", "-c", _PULL_CHECKED, "kamalpy-pull", reference, service, label_format, *tags)


def tag_argv(source: str, target: str) -> tuple[str, ...]:
    """Give an image another reference."""
    return ("docker", "tag", source, target)


def image_id_argv(reference: str) -> tuple[str, ...]:
    """Print the image's content id (`sha256:…`); exits non-zero when the image is absent."""
    return ("docker", "image", "inspect", "--format", "{{.Id}}", reference)


def save_argv(*references: str) -> tuple[str, ...]:
    """Write images (layers, config, tags) as a tar stream to stdout."""
    return ("docker", "save", *references)


def load_argv() -> tuple[str, ...]:
    """Read an image tar stream from stdin into the local engine."""
    return ("docker", "load")


def save_to_file_argv(path: str, *references: str) -> tuple[str, ...]:
    """Write images as a tar file (used to send hosts only the layers they lack)."""
    return ("docker", "save", "--output", path, *references)


def all_image_ids_argv() -> tuple[str, ...]:
    """Every image id on the engine, full length, one per line."""
    return ("docker", "image", "ls", "--all", "--quiet", "--no-trunc")


def image_layers_argv(*references: str) -> tuple[str, ...]:
    """One JSON list of layer diff ids per image, one image per line."""
    return ("docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}", *references)


def cat_argv(path: str) -> tuple[str, ...]:
    """Write a local file to stdout (the source end of a stream)."""
    return ("cat", path)


def shared_leading_layers(ours: list[str], theirs: list[list[str]]) -> int:
    """How many of our leading layers some image on the host already has, in the same order."""
    best = 0
    for layers in theirs:
        count = 0
        for mine, other in zip(ours, layers, strict=False):
            if mine != other:
                break
            count += 1
        best = max(best, count)
    return best
