"""Pure builder: count requests still in flight to a container, read from the host.

With the proxy's idle-connection timeout at about a second, an established TCP connection on the
container's app port is a request in flight. The container's socket table is readable from the
host at /proc/<pid>/net/tcp{,6} (pid from docker inspect), so nothing is needed in the image.
"""

from __future__ import annotations

from collections.abc import Sequence

Argv = tuple[str, ...]

ESTABLISHED = "01"

# The filter as the host runs it; tests feed this very text to awk.
AWK_FILTER = "substr($2, length($2) - 4) == p && $4 == st { n++ } END { print n + 0 }"
_COUNT = r"""port=$(printf '%04X' "$1"); shift; total=0
for name in "$@"; do
  pid=$(docker inspect --format '{{.State.Pid}}' "$name" 2>/dev/null) || continue
  [ "${pid:-0}" -gt 0 ] || continue
  n=$(cat "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6" 2>/dev/null |
      awk -v p=":$port" -v st=01 '@AWK@')
  total=$((total + n))
done
echo "$total"
""".replace("@AWK@", AWK_FILTER)


def in_flight_argv(containers: Sequence[str], app_port: int) -> Argv:
    """Print how many established connections the containers have on their app port."""
    return ("bash", "-c", _COUNT, "kamalpy-drain", str(app_port), *containers)


_OTHERS_COUNT = (
    'port=$1 keep=$5; set -- $(docker ps --filter "label=service=$2" '
    '--filter "label=destination=$3" --filter "label=role=$4" --filter status=running '
    '--format "{{.Names}}" | grep -vxF -- "$keep"); set -- "$port" "$@"\n'
)


def in_flight_old_argv(
    service: str, role: str, destination: str | None, keep: str, app_port: int
) -> Argv:
    """Requests in flight to the role's running containers other than `keep` (the new one)."""
    script = _OTHERS_COUNT + _COUNT
    return (
        "bash",
        "-c",
        script,
        "kamalpy-drain",
        str(app_port),
        service,
        destination or "",
        role,
        keep,
    )
