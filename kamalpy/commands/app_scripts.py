"""Pure builders for the host-side scripts of a deploy: network, stop old, prune (boot:
`boot_script`).

Each is `sh -c SCRIPT NAME ARGS...`: values arrive as positional parameters and are never
interpolated into the script text, so hostile names cannot execute anything.
"""

from __future__ import annotations

Argv = tuple[str, ...]


_PREFLIGHT = (
    "for tool in docker bash awk; do command -v $tool >/dev/null 2>&1 || "
    '{ echo "$tool is required on this host (kamalpy health checks and drains use it)"; '
    "exit 1; }; done; "
    "docker network inspect kamal >/dev/null 2>&1 || docker network create kamal >/dev/null"
)


def network_create_argv() -> Argv:
    """Preflight (docker, bash, awk present) and create the `kamal` network unless it exists."""
    return ("sh", "-c", _PREFLIGHT)


_PRUNE = (
    'docker ps --all --filter "label=service=$1" --filter "label=destination=$2" '
    '--filter "label=role=$3" --filter status=created --filter status=exited '
    '--filter status=dead --format "{{.Names}}" | tail -n +"$(($4 + 1))" '
    '| while read -r name; do docker rm -- "$name"; done'
)


def prune_containers_argv(service: str, role: str, destination: str | None, keep: int) -> Argv:
    """Remove stopped containers of the role beyond the newest `keep` (ps lists newest first)."""
    return ("sh", "-c", _PRUNE, "kamalpy-prune", service, destination or "", role, str(keep))


def prune_images_argv(service: str) -> Argv:
    """Remove dangling images of the service and images no container uses."""
    return (
        "docker",
        "image",
        "prune",
        "--force",
        "--all",
        "--filter",
        f"label=service={service}",
    )


_OTHERS = (
    'docker ps --filter "label=service=$1" --filter "label=destination=$2" '
    '--filter "label=role=$3" --filter status=running --filter status=restarting '
    '--format "{{.Names}}" | grep -vxF -- "$4"'
)


def running_others_argv(service: str, role: str, destination: str | None, keep: str) -> Argv:
    """Names of the role's running containers other than `keep` (the new one)."""
    return (
        "sh",
        "-c",
        _OTHERS + " || true",
        "kamalpy-others",
        service,
        destination or "",
        role,
        keep,
    )


def stop_others_argv(
    service: str, role: str, destination: str | None, keep: str, timeout: int | None
) -> Argv:
    """Stop every running container of the role except `keep`, waiting `timeout` s each."""
    script = _stop_others_script(timeout) + "; true"
    return ("sh", "-c", script, "kamalpy-stop-old", service, destination or "", role, keep)


def _stop_others_script(timeout: int | None) -> str:
    return f"{_OTHERS} | xargs -r docker stop{_stop_wait(timeout)} >/dev/null"


def _stop_wait(timeout: int | None) -> str:
    """`docker stop`'s wait option for `timeout` seconds (none: Docker's default)."""
    return f' -t "{timeout}"' if timeout is not None else ""


# One `docker ps --all` serves both halves of the retire: the running others are stopped, and
# they and the role's stopped containers (newest first, as ps lists them) are pruned beyond
# `retain` in one `docker rm`. Each list is built in "$@" (a redirected loop runs in this shell).
_RETIRE = """keep=$4 retain=$5
all=$(docker ps --all --filter "label=service=$1" --filter "label=destination=$2" \\
  --filter "label=role=$3" --format '{{.Names}} {{.State}}') || exit
set --
while read -r name state; do
  if [ -z "$name" ] || [ "$name" = "$keep" ]; then continue; fi
  case $state in running|restarting) set -- "$@" "$name" ;; esac
done <<EOF
$all
EOF
[ "$#" -eq 0 ] || docker stop@WAIT@ "$@" >/dev/null
set --
while read -r name state; do
  if [ -z "$name" ] || [ "$name" = "$keep" ]; then continue; fi
  case $state in running|restarting|created|exited|dead) set -- "$@" "$name" ;; esac
done <<EOF
$all
EOF
[ "$#" -gt "$retain" ] || exit 0
shift "$retain"
docker rm -- "$@" >/dev/null"""


def retire_argv(
    service: str,
    role: str,
    destination: str | None,
    keep: str,
    timeout: int | None,
    retain: int,
) -> Argv:
    """Stop the role's containers other than `keep`, then prune stopped ones beyond `retain`.

    One round trip, one `docker ps`, for what a deploy does after the new container took over.
    """
    script = _RETIRE.replace("@WAIT@", _stop_wait(timeout))
    return ("sh", "-c", script, "kamalpy-retire", service, destination or "", role, keep,
            str(retain))  # fmt: skip
