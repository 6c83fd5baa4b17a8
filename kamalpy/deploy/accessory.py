"""Accessory operations: boot (only where absent), reboot, upgrade, start/stop, details, logs,
exec, remove. App deploys never call into here, so they never touch an accessory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

from kamalpy.commands import accessory as cmd
from kamalpy.commands import app_scripts
from kamalpy.commands.app import DEFAULT_LOGGING
from kamalpy.commands.env_file import render_env_file, select_env
from kamalpy.config.accessory_files import LocalFile
from kamalpy.config.model import Accessory, Configuration, Registry
from kamalpy.deploy import accessory_proxy, hostops, registry
from kamalpy.deploy.context import Context
from kamalpy.errors import SecretsError, UsageError
from kamalpy.executor.fanout import HostResults

Files = Mapping[str, tuple[LocalFile, ...]]  # accessory name -> its files, read by the CLI


def select(config: Configuration, name: str) -> tuple[Accessory, ...]:
    """The accessory called `name`, or every one for `all`; UsageError naming the known ones."""
    if name == "all":
        return config.accessories
    try:
        return (config.accessory(name),)
    except KeyError:
        known = ", ".join(a.name for a in config.accessories) or "none configured"
        message = f"no accessory {name!r} in {config.path}"
        raise UsageError(message, hint=f"accessories: {known}") from None


def hosts_of(acc: Accessory, only: Sequence[str] | None) -> tuple[str, ...]:
    """The accessory's hosts, narrowed to `only` when given."""
    return tuple(h for h in acc.hosts if only is None or h in only)


def env_file_body(ctx: Context, acc: Accessory) -> bytes:
    """The accessory's 0600 env file (its secret env); SecretsError naming the accessory."""
    refs = [(ref.name, ref.secret) for ref in acc.env.secrets]
    try:
        return render_env_file(select_env(refs, ctx.secrets), dict(refs))
    except SecretsError as error:
        raise SecretsError(f"accessory {acc.name}: {error.message}", hint=error.hint) from None


def _registry_for(config: Configuration, acc: Accessory) -> Registry | None:
    """Where the image comes from when a login is needed: its own registry, or the app's."""
    if acc.registry is not None and acc.registry.password is not None:
        return acc.registry
    server = config.registry.server
    if server and acc.image.startswith(f"{server}/") and registry.uses_registry(config.registry):
        return config.registry if config.registry.password is not None else None
    return None


def _audit(ctx: Context, host: str, message: str) -> None:
    hostops.record_audit(ctx, host, message)


def _create(ctx: Context, acc: Accessory, host: str, files: tuple[LocalFile, ...]) -> None:
    """Directories, files, env file, then `docker run` (the container must not exist)."""
    target = ctx.target(host)
    for d in acc.directories:
        path = cmd.directory_path(acc, d)
        hostops.run(ctx, host, cmd.mkdir_argv(path, d.mode))
        if d.owner:
            hostops.run(ctx, host, cmd.chown_argv(path, d.owner))
    for f in files:
        path = cmd.file_path(acc, f.mount) + (f"/{f.relative}" if f.relative else "")
        ctx.executor.upload(target, path, f.content, mode=f.mode)
        if f.mount.owner:
            hostops.run(ctx, host, cmd.chown_argv(path, f.mount.owner))
    env_file = cmd.env_file_path(ctx.config.service, ctx.config.destination, acc.name)
    body = env_file_body(ctx, acc)
    ctx.executor.upload(target, env_file, body, mode="600", parent_mode="700")
    spec = cmd.AccessoryRun(
        accessory=acc,
        host=host,
        env_file=env_file,
        logging=ctx.config.logging.args or DEFAULT_LOGGING,
        clear_env=tuple(acc.env.clear.items()),
    )
    hostops.run(ctx, host, cmd.run_argv(spec))
    _audit(ctx, host, f"Booted {acc.name} accessory")


def _prepare(ctx: Context, acc: Accessory, host: str) -> None:
    """The `kamal` network and, for a private image, a registry login (password on stdin)."""
    hostops.run(ctx, host, app_scripts.network_create_argv())
    chosen = _registry_for(ctx.config, acc)
    if chosen is not None:
        registry.login_on(ctx.executor, ctx.target(host), chosen, ctx.secrets)


def boot_on(ctx: Context, acc: Accessory, host: str, files: tuple[LocalFile, ...]) -> str:
    """Boot the accessory on one host unless a container of it already exists there."""
    _prepare(ctx, acc, host)
    if hostops.run(ctx, host, cmd.ids_argv(acc)).stdout.strip():
        return _routed(ctx, acc, host, "already booted (its container exists), left as it is")
    hostops.timed(ctx, host, f"boot {acc.name}", lambda: _create(ctx, acc, host, files))
    return _routed(ctx, acc, host, "booted")


def _routed(ctx: Context, acc: Accessory, host: str, said: str) -> str:
    """With a `proxy:` section, (re)write the accessory's route once its container runs."""
    if acc.proxy is None:
        return said
    return f"{said}; {accessory_proxy.route_on(ctx, acc, host)}"


def reboot_on(
    ctx: Context, acc: Accessory, host: str, files: tuple[LocalFile, ...], *, pull: bool
) -> str:
    """Replace the container (stop, remove, boot); `pull` first so a bad image stops nothing."""
    _prepare(ctx, acc, host)
    if pull:
        hostops.timed(ctx, host, f"pull {acc.image_ref}",
                      lambda: hostops.run(ctx, host, cmd.pull_argv(acc)))  # fmt: skip
    hostops.run(ctx, host, cmd.stop_argv(acc), check=False)
    _audit(ctx, host, f"Stopped {acc.name} accessory")
    hostops.run(ctx, host, cmd.force_remove_argv(acc), check=False)
    hostops.timed(ctx, host, f"boot {acc.name}", lambda: _create(ctx, acc, host, files))
    return _routed(ctx, acc, host, "upgraded" if pull else "rebooted")


def _simple(ctx: Context, acc: Accessory, host: str, argv: Sequence[str], audit: str) -> str:
    out = hostops.run(ctx, host, argv)
    if audit:
        _audit(ctx, host, f"{audit} {acc.name} accessory")
    return (out.stdout + out.stderr).strip()


def start_on(ctx: Context, acc: Accessory, host: str) -> str:
    """Start the stopped container."""
    _simple(ctx, acc, host, cmd.start_argv(acc), "Started")
    return "started"


def stop_on(ctx: Context, acc: Accessory, host: str) -> str:
    """Stop the container."""
    _simple(ctx, acc, host, cmd.stop_argv(acc), "Stopped")
    return "stopped"


def restart_on(ctx: Context, acc: Accessory, host: str) -> str:
    """Stop then start the container."""
    stop_on(ctx, acc, host)
    start_on(ctx, acc, host)
    return "restarted"


def details_on(ctx: Context, acc: Accessory, host: str) -> str:
    """`docker ps` of the accessory on one host."""
    return "\n" + _simple(ctx, acc, host, cmd.details_argv(acc), "")


def logs_on(ctx: Context, acc: Accessory, host: str, lines: int) -> str:
    """The accessory's last log lines on one host."""
    return "\n" + _simple(ctx, acc, host, cmd.logs_argv(acc, lines=lines), "")


def exec_on(ctx: Context, acc: Accessory, host: str, argv: Sequence[str]) -> str:
    """Run a command in the running accessory container; its output."""
    _audit(ctx, host, f"Executed cmd '{' '.join(argv)}' on {acc.name} accessory")
    return "\n" + _simple(ctx, acc, host, cmd.exec_argv(acc, argv), "")


def remove_on(ctx: Context, acc: Accessory, host: str) -> str:
    """Container, image, data directory and env file, gone for good."""
    config = ctx.config
    if acc.proxy is not None:  # first, so the proxy never routes to a removed container
        accessory_proxy.unroute_on(ctx, acc, host)
    hostops.run(ctx, host, cmd.force_remove_argv(acc), check=False)
    hostops.run(ctx, host, cmd.remove_image_argv(acc), check=False)
    hostops.run(ctx, host, cmd.remove_data_argv(acc))
    hostops.run(ctx, host, cmd.remove_env_file_argv(config.service, config.destination, acc.name))
    _audit(ctx, host, f"Removed {acc.name} accessory")
    route = ", route" if acc.proxy is not None else ""
    return f"removed (container, image, directory, env file{route})"


def on_hosts(
    ctx: Context,
    accessories: Sequence[Accessory],
    only: Sequence[str] | None,
    action: Callable[[Accessory, str], str],
) -> list[str]:
    """Run action for each accessory on each of its hosts (hosts in parallel); result lines."""
    lines: list[str] = []
    for acc in accessories:
        results = hostops.fan_out(ctx, hosts_of(acc, only), _bound(action, acc))
        error = hostops.first_error(cast("HostResults[object]", results))
        lines += [f"{host} ({acc.name}): {results[host]}" for host in results.succeeded]
        if error is not None:
            for line in lines:
                ctx.console.result(line)
            raise error
    return lines


def _bound(action: Callable[[Accessory, str], str], acc: Accessory) -> Callable[[str], str]:
    return lambda host: action(acc, host)
