"""Pure builders for reusing an image already built from the same inputs, instead of building."""

from __future__ import annotations


def digest_reference(repository: str, image_digest: str) -> str:
    """`<repository>:digest-<image digest>`: the tag that finds an image by its inputs."""
    return f"{repository}:digest-{image_digest}"
