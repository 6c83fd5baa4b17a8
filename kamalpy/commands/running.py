"""Pure builder: every running app container of a host with its labels, in one command."""

from __future__ import annotations

Argv = tuple[str, ...]

# One line per container: name, image reference, labels as JSON (values may hold commas).
RUNNING_FORMAT = "{{.Name}}\t{{.Config.Image}}\t{{json .Config.Labels}}"
# A container may go away between `ps` and `inspect` (a busy host): inspect still prints every
# one it finds, so its exit status for the vanished ones is not a failure of the host. A host
# whose engine does not answer fails at `ps`.
_SCRIPT = (
    "ids=$(docker ps --quiet --no-trunc --filter label=service --filter status=running) || exit; "
    '[ -z "$ids" ] || docker inspect --format "$0" $ids 2>/dev/null || true'
)


def running_containers_argv() -> Argv:
    """Every running container that carries a `service` label, as `RUNNING_FORMAT` lines."""
    return ("sh", "-c", _SCRIPT, RUNNING_FORMAT)
