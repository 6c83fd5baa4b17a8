"""Pure builders for app containers: docker run/ps/stop/rm/logs argv, names, labels, env paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Argv = tuple[str, ...]

ACTIVE_STATUSES: tuple[str, ...] = ("running", "restarting")
# Kamal's default when deploy.yml sets no logging.
DEFAULT_LOGGING: tuple[str, ...] = ("--log-opt", "max-size=10m")


def container_prefix(service: str, role: str, destination: str | None) -> str:
    """`<service>-<role>[-<dest>]`: what every container of one role shares."""
    return "-".join(part for part in (service, role, destination) if part)


def container_name(service: str, role: str, destination: str | None, version: str) -> str:
    """`<service>-<role>[-<dest>]-<version>`, as Kamal names app containers."""
    return f"{container_prefix(service, role, destination)}-{version}"


def app_dir(service: str, destination: str | None) -> str:
    """`.kamal/apps/<service>[-<dest>]`, relative to the ssh user's home."""
    return f".kamal/apps/{'-'.join(p for p in (service, destination) if p)}"


def env_dir(service: str, destination: str | None) -> str:
    """Directory of the per-role secret env files."""
    return f"{app_dir(service, destination)}/env/roles"


def env_file_path(service: str, destination: str | None, role: str) -> str:
    """`.kamal/apps/<service>[-<dest>]/env/roles/<role>.env`, mode 0600 on the host."""
    return f"{env_dir(service, destination)}/{role}.env"


def option_args(options: Mapping[str, object]) -> Argv:
    """Kamal's `options:` mapping as docker flags: true → flag, list → repeated, else value."""
    args: list[str] = []
    for key, value in options.items():
        flag = f"--{key}"
        if value is True or value is None:
            args.append(flag)
        elif value is False:
            continue
        elif isinstance(value, list | tuple):
            for item in value:
                args += [flag, str(item)]
        else:
            args += [flag, str(value)]
    return tuple(args)


def label_args(labels: Mapping[str, str]) -> Argv:
    """`--label k=v` for each label, in the mapping's order."""
    return tuple(token for k, v in labels.items() for token in ("--label", f"{k}={v}"))


def app_labels(
    service: str, role: str, destination: str | None, extra: Mapping[str, str]
) -> dict[str, str]:
    """Config labels merged under kamalpy's own (service/role/destination always win)."""
    merged = dict(extra)
    merged.update({"service": service, "role": role, "destination": destination or ""})
    return merged


@dataclass(frozen=True)
class AppContainer:
    """Everything `docker run` needs for one app container of one role on one host."""

    service: str
    role: str
    destination: str | None
    version: str
    image: str
    host: str
    env: Mapping[str, str] = field(default_factory=dict)
    env_file: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    logging: tuple[str, ...] = DEFAULT_LOGGING
    cmd: tuple[str, ...] = ()
    init: bool = False

    @property
    def name(self) -> str:
        """The container's name."""
        return container_name(self.service, self.role, self.destination, self.version)


def _env_args(spec: AppContainer) -> Argv:
    kamal_env = {
        "KAMAL_CONTAINER_NAME": spec.name,
        "KAMAL_VERSION": spec.version,
        "KAMAL_HOST": spec.host,
        "KAMAL_DESTINATION": spec.destination or "",
    }
    args = [t for k, v in kamal_env.items() for t in ("--env", f"{k}={v}")]
    args += [t for k, v in spec.env.items() for t in ("--env", f"{k}={v}")]
    if spec.env_file:
        args += ["--env-file", spec.env_file]
    return tuple(args)


def run_argv(spec: AppContainer) -> Argv:
    """`docker run` for a new app container, detached, on the `kamal` network."""
    head: Argv = ("docker", "run", "--detach", "--restart", "unless-stopped")
    head += ("--name", spec.name, "--network", "kamal")
    if spec.init:
        head += ("--init",)
    volumes = tuple(t for v in spec.volumes for t in ("--volume", v))
    labels = label_args(app_labels(spec.service, spec.role, spec.destination, spec.labels))
    return (
        head
        + _env_args(spec)
        + spec.logging
        + volumes
        + labels
        + spec.options
        + (spec.image, *spec.cmd)
    )


def filter_args(
    service: str,
    role: str | None,
    destination: str | None,
    statuses: Sequence[str] = (),
) -> Argv:
    """`--filter` flags selecting a service's (role's) containers by label, like Kamal."""
    filters = [f"label=service={service}", f"label=destination={destination or ''}"]
    if role:
        filters.append(f"label=role={role}")
    filters += [f"status={s}" for s in statuses]
    return tuple(t for f in filters for t in ("--filter", f))


def ps_names_argv(
    service: str, role: str | None, destination: str | None, *, running_only: bool = False
) -> Argv:
    """Names of the role's containers, newest first, one per line."""
    statuses = ACTIVE_STATUSES if running_only else ()
    return (
        "docker",
        "ps",
        "--all",
        *filter_args(service, role, destination, statuses),
        "--format",
        "{{.Names}}",
    )


def details_argv(service: str, role: str | None, destination: str | None) -> Argv:
    """`docker ps` table of the role's running containers (what `app details` shows)."""
    return ("docker", "ps", *filter_args(service, role, destination))


def containers_argv(service: str, role: str | None, destination: str | None) -> Argv:
    """`docker ps --all` table of every container of the role, stopped ones too."""
    return ("docker", "ps", "--all", *filter_args(service, role, destination))


def images_argv(repository: str) -> Argv:
    """`docker image ls` for the service's repository."""
    return ("docker", "image", "ls", repository)


def start_argv(name: str) -> Argv:
    """Start a stopped container again."""
    return ("docker", "start", name)


def stop_argv(names: Sequence[str], *, timeout: int | None = None) -> Argv:
    """Stop containers, waiting `timeout` seconds before SIGKILL."""
    wait: Argv = ("-t", str(timeout)) if timeout is not None else ()
    return ("docker", "stop", *wait, *names)


def remove_argv(names: Sequence[str]) -> Argv:
    """Force-remove containers (stopping them first if needed)."""
    return ("docker", "rm", "--force", *names)


def logs_argv(
    name: str, *, lines: int | None = None, follow: bool = False, timestamps: bool = False
) -> Argv:
    """`docker logs` of one container, last `lines` lines, optionally following."""
    argv: list[str] = ["docker", "logs"]
    if timestamps:
        argv.append("--timestamps")
    if lines is not None:
        argv += ["--tail", str(lines)]
    if follow:
        argv.append("--follow")
    return (*argv, name)


def grep_output_argv(argv: Sequence[str], pattern: str) -> Argv:
    """Run argv with its stdout and stderr filtered by `grep --line-buffered -e pattern`."""
    # The pattern and argv travel as positional parameters: the script text never changes.
    return ("sh", "-c", '"$@" 2>&1 | grep --line-buffered -e "$0"', pattern, *argv)


def exec_argv(name: str, cmd: Sequence[str], *, interactive: bool = False) -> Argv:
    """`docker exec` a command in a running container."""
    flags: Argv = ("--interactive", "--tty") if interactive else ()
    return ("docker", "exec", *flags, name, *cmd)


def run_once_argv(spec: AppContainer, cmd: Sequence[str], *, interactive: bool = False) -> Argv:
    """`docker run --rm` a one-off command in a fresh container of the role's image."""
    flags: Argv = ("--interactive", "--tty") if interactive else ()
    env = _env_args(spec)
    return ("docker", "run", "--rm", *flags, "--network", "kamal", *env, spec.image, *cmd)


HEALTH_FORMAT = "{{json .State.Health}}"


def health_log_argv(name: str) -> Argv:
    """The container's Docker health status and history as JSON (`null` without a check)."""
    return ("docker", "inspect", "--format", HEALTH_FORMAT, name)


def state_argv(name: str) -> Argv:
    """`<status> <health or none> <exit code>` of one container, for readiness and diagnostics."""
    fmt = "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"
    return ("docker", "inspect", "--format", fmt + " {{.State.ExitCode}}", name)
