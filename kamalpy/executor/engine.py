"""The local Docker engine through the `docker` SDK: questions answered from its API, not CLI text.

Builds, tags and pushes still go through `docker` argv (so `--dry-run` and `--verbose` show
them); what the SDK does here is read: which local image already carries a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _client() -> Any:
    import docker  # imported on use: `kamalpy --help` must stay fast

    return docker.from_env(timeout=30)


def find_local_image(repository: str, labels: Mapping[str, str]) -> str | None:
    """The id of a local image of `repository` carrying every label, newest first; else None.

    An engine that does not answer counts as "not found": the image is then built.
    """
    try:
        import docker.errors

        client = _client()
        try:
            filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
            images = client.images.list(name=repository, filters=filters)
        finally:
            client.close()
    except (docker.errors.DockerException, OSError):
        return None
    if not images:
        return None
    newest = max(images, key=lambda image: str(image.attrs.get("Created", "")))
    return str(newest.id)


def registry_has(reference: str) -> bool:
    """Whether the registry holds `reference` (asked through the local engine, with its logins)."""
    try:
        import docker.errors

        client = _client()
        try:
            client.images.get_registry_data(reference)
        finally:
            client.close()
    except (docker.errors.DockerException, OSError):
        return False
    return True
