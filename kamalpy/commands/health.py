"""Pure builders for health checks run ON the host with only bash (no curl, nothing in the image).

The new container is reached at its address on the `kamal` network, from the host; no tool is
needed inside the app image and nothing beyond a stock Debian/Ubuntu server on the host.
"""

from __future__ import annotations

Argv = tuple[str, ...]

# Values arrive as positional parameters, never interpolated into the script text.
_REQUEST = r"printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n'"
_STATE_FORMAT = (
    '{{.State.Status}} {{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}{{end}}'
)

_HTTP_GET = r"""exec 3<>"/dev/tcp/$1/$2" || exit 7
@REQUEST@ "$3" "$1" >&3
cat <&3""".replace("@REQUEST@", _REQUEST)

_HEALTH = r"""state=$(docker inspect --format '@FORMAT@' "$1") || exit 3
set -- "${state%% *}" "${state#* }" "$2" "$3"
[ "$1" = running ] || { echo "container is $1"; exit 4; }
[ -n "$2" ] || { echo "container has no address on network kamal"; exit 5; }
exec 3<>"/dev/tcp/$2/$3" || { echo "connection to $2:$3 refused"; exit 6; }
@REQUEST@ "$4" "$2" >&3
IFS=' ' read -r proto code rest <&3 || { echo "no response from $2:$3"; exit 8; }
echo "$proto $code ${rest%$'\r'}"
case "$code" in 2??) exit 0 ;; *) exit 1 ;; esac""".replace("@REQUEST@", _REQUEST).replace(
    "@FORMAT@", _STATE_FORMAT
)

TOOL_CHECK: Argv = ("bash", "-c", "command -v docker >/dev/null && echo ok")


def http_get_argv(address: str, port: int, path: str, *, timeout: int = 5) -> Argv:
    """Print the raw HTTP/1.0 response of `GET path` from address:port (bash /dev/tcp)."""
    return (
        "timeout",
        str(timeout),
        "bash",
        "-c",
        _HTTP_GET,
        "kamalpy-http",
        address,
        str(port),
        path,
    )


def healthcheck_argv(container: str, port: int, path: str, *, timeout: int = 5) -> Argv:
    """Exit 0 when the container is running and `GET path` on its kamal address answers 2xx."""
    return (
        "timeout",
        str(timeout),
        "bash",
        "-c",
        _HEALTH,
        "kamalpy-health",
        container,
        str(port),
        path,
    )


def split_http_response(raw: str) -> tuple[int, str]:
    """Status code and body of a raw HTTP/1.0 response (0 when there is no status line)."""
    head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
    status_line = head.split("\n", 1)[0].split(" ")
    if len(status_line) < 2 or not status_line[1].isdigit():
        return 0, body
    return int(status_line[1]), body
