"""Pure builder: every running app container of a host with its labels, in one command."""

from __future__ import annotations

Argv = tuple[str, ...]

# One line per container: name, image reference, labels as JSON (values may hold commas).
RUNNING_FORMAT = "{{.Name}}\t{{.Config.Image}}\t{{json .Config.Labels}}"
_SCRIPT = (
    "ids=$(docker ps --quiet --no-trunc --filter label=service --filter status=running) || exit; "
    '[ -z "$ids" ] || exec docker inspect --format "$0" $ids'
)


def running_containers_argv() -> Argv:
    """Every running container that carries a `service` label, as `RUNNING_FORMAT` lines."""
    return ("sh", "-c", _SCRIPT, RUNNING_FORMAT)
