"""Pure builders for reusing an image already built from the same inputs, instead of building."""

from __future__ import annotations

from collections.abc import Sequence

Argv = tuple[str, ...]

# Pull the source only when the host lacks it; then tag it with each new reference.
_RETAG = (
    "src=$1; shift; "
    'docker image inspect "$src" >/dev/null 2>&1 || docker pull "$src" >/dev/null || exit; '
    'for ref in "$@"; do docker tag "$src" "$ref" || exit; done'
)


def retag_argv(source: str, references: Sequence[str]) -> Argv:
    """On a host: make `references` name the image `source` (pulled first if absent)."""
    return ("sh", "-c", _RETAG, "kamalpy-retag", source, *references)


def digest_reference(repository: str, image_digest: str) -> str:
    """`<repository>:digest-<image digest>`: the tag that finds an image by its inputs."""
    return f"{repository}:digest-{image_digest}"
