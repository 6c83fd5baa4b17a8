"""Pure builders for accessories (databases, caches): names, paths and argv, as Kamal lays them out.

On each host an accessory is one container named after its service (`<service>-<name>` unless
`service:` is set), labelled `service=<that name>`, with its data under `~/<that name>/`: uploaded
`files` at `~/<name>/<remote path>`, relative `directories` at `~/<name>/<local>`, and its secret
env in `.kamal/apps/<service>[-<dest>]/env/accessories/<accessory>.env` (mode 0600). So Kamal's
own `kamal accessory details|logs|remove` read a kamalpy host, and the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kamalpy.commands.app import DEFAULT_LOGGING, app_dir, label_args
from kamalpy.config.model import Accessory, AccessoryFile

Argv = tuple[str, ...]

# Bind-mount sources must be absolute; `~/` marks those under the ssh user's home, expanded on the
# host by the boot script (only right after `--volume`), so the argv stays pure and readable.
HOME_MARK = "~/"
_EXPAND_HOME = (
    'prev=; for a; do if [ "$prev" = --volume ]; then case $a in "~/"*) a="$HOME/${a#??}";; '
    'esac; fi; set -- "$@" "$a"; shift; prev=$a; done; exec docker run "$@"'
)


def container_name(acc: Accessory) -> str:
    """The container's name: the accessory's service name, as Kamal names it."""
    return acc.service


def data_dir(acc: Accessory) -> str:
    """`<service name>`: the accessory's directory, relative to the ssh user's home."""
    return acc.service


def env_file_path(service: str, destination: str | None, name: str) -> str:
    """`.kamal/apps/<service>[-<dest>]/env/accessories/<name>.env`, relative to the home."""
    return f"{app_dir(service, destination)}/env/accessories/{name}.env"


def file_path(acc: Accessory, mount: AccessoryFile) -> str:
    """Where an uploaded file lives on the host: `<service name>/<remote path>`."""
    return f"{data_dir(acc)}/{mount.remote.lstrip('/')}"


def directory_path(acc: Accessory, mount: AccessoryFile) -> str:
    """A directory's host path: absolute as written, else `<service name>/<local>`."""
    if mount.local.startswith("/"):
        return mount.local
    return f"{data_dir(acc)}/{mount.local.strip('/')}"


def _home(path: str) -> str:
    return path if path.startswith("/") else HOME_MARK + path


def _mount_arg(source: str, mount: AccessoryFile) -> str:
    suffix = f":{mount.options}" if mount.options else ""
    return f"{_home(source)}:{mount.remote}{suffix}"


def volume_args(acc: Accessory) -> Argv:
    """`--volume` flags: `volumes` as written, then files, then directories (Kamal's order)."""
    sources = list(acc.volumes)
    sources += [_mount_arg(file_path(acc, f), f) for f in acc.files]
    sources += [_mount_arg(directory_path(acc, d), d) for d in acc.directories]
    return tuple(t for source in sources for t in ("--volume", source))


def publish_args(port: str | None) -> Argv:
    """`--publish` for `port`: `HOST:CONTAINER` as written, a bare port on both sides."""
    if not port:
        return ()
    return ("--publish", port if ":" in port else f"{port}:{port}")


@dataclass(frozen=True)
class AccessoryRun:
    """What `docker run` needs for one accessory on one host."""

    accessory: Accessory
    host: str
    env_file: str
    logging: tuple[str, ...] = DEFAULT_LOGGING
    clear_env: tuple[tuple[str, str], ...] = field(default=())


def run_argv(spec: AccessoryRun) -> Argv:
    """Boot the accessory: `sh -c` expands `~/` mount sources to $HOME, then `docker run`."""
    acc = spec.accessory
    env: list[str] = ["--env", f"KAMAL_HOST={spec.host}"]
    env += [t for k, v in spec.clear_env for t in ("--env", f"{k}={v}")]
    env += ["--env-file", spec.env_file]
    args = (
        "--name", container_name(acc), "--detach", "--restart", "unless-stopped",
        "--network", acc.network, *spec.logging, *publish_args(acc.port), *env,
        *volume_args(acc), *label_args(acc.all_labels), *acc.options, acc.image_ref, *acc.cmd,
    )  # fmt: skip
    return ("sh", "-c", _EXPAND_HOME, "kamalpy-accessory-boot", *args)


def ids_argv(acc: Accessory) -> Argv:
    """IDs of the accessory's containers, running or not (empty: not booted on this host)."""
    return ("docker", "ps", "--all", "--quiet", "--filter", f"label=service={acc.service}")


def details_argv(acc: Accessory) -> Argv:
    """`docker ps` table of the accessory's running container (what Kamal's details shows)."""
    return ("docker", "ps", "--filter", f"label=service={acc.service}")


def start_argv(acc: Accessory) -> Argv:
    """Start the stopped accessory container."""
    return ("docker", "container", "start", container_name(acc))


def stop_argv(acc: Accessory) -> Argv:
    """Stop the accessory container."""
    return ("docker", "container", "stop", container_name(acc))


def remove_container_argv(acc: Accessory) -> Argv:
    """Remove the accessory's containers (stopped ones), found by label like Kamal."""
    return ("docker", "container", "prune", "--force", "--filter", f"label=service={acc.service}")


def force_remove_argv(acc: Accessory) -> Argv:
    """Remove the accessory container whatever its state (a reboot must not leave it behind)."""
    return ("docker", "rm", "--force", container_name(acc))


def pull_argv(acc: Accessory) -> Argv:
    """Pull the accessory's image (before an upgrade stops anything)."""
    return ("docker", "image", "pull", acc.image_ref)


def remove_image_argv(acc: Accessory) -> Argv:
    """Remove the accessory's image."""
    return ("docker", "image", "rm", "--force", acc.image_ref)


def remove_data_argv(acc: Accessory) -> Argv:
    """Remove the accessory's directory (uploaded files and relative directories) for good."""
    return ("rm", "-rf", "--", data_dir(acc))


def remove_env_file_argv(service: str, destination: str | None, name: str) -> Argv:
    """Remove the accessory's secret env file."""
    return ("rm", "-f", "--", env_file_path(service, destination, name))


def logs_argv(acc: Accessory, *, lines: int | None = None, follow: bool = False) -> Argv:
    """`docker logs` with timestamps, the last `lines` lines (stderr folded in by docker's -t)."""
    argv: list[str] = ["docker", "logs", "--timestamps"]
    if lines is not None:
        argv += ["--tail", str(lines)]
    if follow:
        argv.append("--follow")
    return (*argv, container_name(acc))


def exec_argv(acc: Accessory, cmd: Sequence[str], *, interactive: bool = False) -> Argv:
    """`docker exec` a command in the running accessory container."""
    flags: Argv = ("--interactive", "--tty") if interactive else ()
    return ("docker", "exec", *flags, container_name(acc), *cmd)


def mkdir_argv(path: str, mode: str | None = None) -> Argv:
    """Create a directory (and parents), then give it `mode` when set."""
    if mode is None:
        return ("mkdir", "-p", "--", path)
    return ("sh", "-c", 'mkdir -p -- "$1" && chmod "$2" -- "$1"', "kamalpy-mkdir", path, mode)


def chown_argv(path: str, owner: str) -> Argv:
    """Give a file or directory its configured owner (needs root on the host, as in Kamal)."""
    return ("chown", "--", owner, path)
