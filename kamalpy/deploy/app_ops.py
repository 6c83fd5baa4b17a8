"""`app` operations on the running containers: start/stop/logs/exec/details/remove/maintenance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kamalpy.commands import app, app_scripts, proxy, proxy_api
from kamalpy.config.model import Role
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.deploy.versions import current_version, versions_on
from kamalpy.errors import UsageError
from kamalpy.plan import container_spec, proxy_settings, role_route


@dataclass(frozen=True)
class Selection:
    """Which roles and hosts an operation acts on (None: all)."""

    hosts: Sequence[str] | None = None
    roles: Sequence[str] | None = None


def pairs(ctx: Context, sel: Selection) -> list[tuple[Role, str]]:
    """(role, host) pairs of the selection, primary role first."""
    chosen = [r for r in ctx.config.roles if sel.roles is None or r.name in sel.roles]
    chosen.sort(key=lambda r: r.name != ctx.config.primary_role)
    return [(r, h) for r in chosen for h in r.hosts if sel.hosts is None or h in sel.hosts]


def per_host(ctx: Context, sel: Selection, action: Callable[[Role, str], str]) -> list[str]:
    """Run action for every (role, host) in parallel per host; `host (role): output` lines."""
    todo = pairs(ctx, sel)
    hosts = list(dict.fromkeys(h for _, h in todo))

    def on_host(host: str) -> list[str]:
        lines = [
            f"{host} ({role.name}): {action(role, host).rstrip()}" for role, h in todo if h == host
        ]
        if ctx.emit is not None:  # as each host answers: a lost host holds no one else's lines
            for line in lines:
                ctx.emit(line)
        return lines

    results = hostops.fan_out(ctx, hosts, on_host)
    results.raise_for_failures()
    if ctx.emit is not None:
        return []
    return [line for host in hosts for line in results[host]]


def _out(ctx: Context, host: str, argv: Sequence[str]) -> str:
    result = hostops.run(ctx, host, argv)
    return result.stdout + result.stderr


def details(ctx: Context, sel: Selection) -> list[str]:
    """`docker ps` of each role's containers on each host."""
    cfg = ctx.config
    return per_host(
        ctx,
        sel,
        lambda r, h: "\n" + _out(ctx, h, app.details_argv(cfg.service, r.name, cfg.destination)),
    )


def containers(ctx: Context, sel: Selection) -> list[str]:
    """`docker ps --all` of each role's containers, stopped ones included."""
    cfg = ctx.config
    return per_host(
        ctx,
        sel,
        lambda r, h: "\n" + _out(ctx, h, app.containers_argv(cfg.service, r.name, cfg.destination)),
    )


def images(ctx: Context, sel: Selection) -> list[str]:
    """The service's images on each host."""
    return per_host(
        ctx, sel, lambda r, h: "\n" + _out(ctx, h, app.images_argv(ctx.config.repository))
    )


def version(ctx: Context, sel: Selection) -> list[str]:
    """The running version of each role on each host."""
    return per_host(ctx, sel, lambda r, h: current_version(ctx, h, r.name) or "(none running)")


def _current_name(ctx: Context, role: Role, host: str, *, any_state: bool = False) -> str | None:
    found = (
        versions_on(ctx, host, role.name)
        if any_state
        else [v for v in [current_version(ctx, host, role.name)] if v]
    )
    return ctx.config.container_name(role, found[0]) if found else None


def stop(ctx: Context, sel: Selection) -> list[str]:
    """Stop the running container of each role (the proxy then answers 502/503)."""

    def act(role: Role, host: str) -> str:
        name = _current_name(ctx, role, host)
        if not name:
            return "nothing running"
        timeout = None if role.proxy else ctx.config.drain_timeout
        hostops.run(ctx, host, app.stop_argv([name], timeout=timeout))
        return f"stopped {name}"

    return per_host(ctx, sel, act)


def start(ctx: Context, sel: Selection) -> list[str]:
    """Start the newest container of each role again."""

    def act(role: Role, host: str) -> str:
        name = _current_name(ctx, role, host, any_state=True)
        if not name:
            return "no container to start"
        hostops.run(ctx, host, app.start_argv(name))
        return f"started {name}"

    return per_host(ctx, sel, act)


def logs(ctx: Context, sel: Selection, *, lines: int, grep: str | None) -> list[str]:
    """The last `lines` log lines of each role's current container, optionally filtered."""

    def act(role: Role, host: str) -> str:
        name = _current_name(ctx, role, host, any_state=True)
        if not name:
            return "no container"
        text = _out(ctx, host, app.logs_argv(name, lines=lines, timestamps=True))
        kept = [ln for ln in text.splitlines() if grep is None or grep in ln]
        return "\n" + "\n".join(kept)

    return per_host(ctx, sel, act)


def execute(ctx: Context, sel: Selection, cmd: Sequence[str], *, reuse: bool) -> list[str]:
    """Run cmd in the running container (--reuse) or in a fresh one of the configured image."""

    def act(role: Role, host: str) -> str:
        if reuse:
            name = _current_name(ctx, role, host)
            if not name:
                return "nothing running to exec in"
            return "\n" + _out(ctx, host, app.exec_argv(name, cmd))
        spec = container_spec(ctx.config, role, host)  # same env, env file and network
        return "\n" + _out(ctx, host, app.run_once_argv(spec, cmd))

    return per_host(ctx, sel, act)


def attached_pair(ctx: Context, sel: Selection) -> tuple[Role, str]:
    """The one (role, host) a terminal command runs on: the first selected, primary role first."""
    todo = pairs(ctx, sel)
    if not todo:
        raise UsageError("no host of the selected roles matches -H/--hosts")
    return todo[0]


def follow_logs(ctx: Context, sel: Selection, *, lines: int, grep: str | None) -> int:
    """Stream one host's current container logs to this terminal until it ends or ^C."""
    role, host = attached_pair(ctx, sel)
    name = _current_name(ctx, role, host, any_state=True)
    if not name:
        raise UsageError(f"{host} ({role.name}): no container to follow")
    argv = app.logs_argv(name, lines=lines, follow=True, timestamps=True)
    argv = app.grep_output_argv(argv, grep) if grep else argv
    return ctx.executor.attach(ctx.target(host), argv)


def execute_attached(ctx: Context, sel: Selection, cmd: Sequence[str], *, reuse: bool) -> int:
    """Run cmd with this terminal attached, in the running container or a fresh one."""
    role, host = attached_pair(ctx, sel)
    if reuse:
        name = _current_name(ctx, role, host)
        if not name:
            raise UsageError(f"{host} ({role.name}): nothing running to exec in")
        argv = app.exec_argv(name, cmd, interactive=True)
    else:
        argv = app.run_once_argv(container_spec(ctx.config, role, host), cmd, interactive=True)
    return ctx.executor.attach(ctx.target(host), argv, tty=True)


def remove(ctx: Context, sel: Selection) -> list[str]:
    """Remove every container of the roles, their routes and env files, and unused images."""
    cfg = ctx.config

    def act(role: Role, host: str) -> str:
        names = _out(ctx, host, app.ps_names_argv(cfg.service, role.name, cfg.destination)).split()
        if role.proxy:
            path = proxy.config_path(cfg.service, role.name, cfg.destination)
            hostops.run(ctx, host, proxy.remove_config_argv(path))
        if names:
            hostops.run(ctx, host, app.remove_argv(names))
        hostops.run(
            ctx,
            host,
            ("rm", "-f", "--", app.env_file_path(cfg.service, cfg.destination, role.name)),
        )
        hostops.run(ctx, host, app_scripts.prune_images_argv(cfg.service), check=False)
        hostops.record_audit(ctx, host, "Removed all app containers", role=role.name)
        return f"removed {len(names)} container(s)"

    lines = per_host(ctx, sel, act)
    chosen = {(r.name, h) for r, h in pairs(ctx, sel)}
    staying = {h for r, h in pairs(ctx, Selection(hosts=sel.hosts)) if (r.name, h) not in chosen}
    # Like Kamal, only a host losing every role of the service loses the app directory.
    everything = {h for _, h in chosen} - staying
    directory = app.app_dir(cfg.service, cfg.destination)

    def clear(host: str) -> None:
        """What Kamal's `app remove` does last: the app directory goes, the audit log stays."""
        hostops.run(ctx, host, ("rm", "-rf", "--", directory))
        hostops.record_audit(ctx, host, "Removed all app images")
        hostops.record_audit(ctx, host, f"Removed {directory}")

    hostops.fan_out(ctx, sorted(everything), clear).raise_for_failures()
    return lines + [f"{host}: removed {directory}" for host in sorted(everything)]


def set_maintenance(ctx: Context, sel: Selection, *, on: bool) -> list[str]:
    """Maintenance: the route has no server, so the proxy answers 503; live: route to current.

    Like a deploy's switch, each host returns only once its proxy's API shows the change.
    """
    cfg = ctx.config
    api_port = proxy_settings(cfg).api_port

    def act(role: Role, host: str) -> str:
        if role.proxy is None:
            return "not behind the proxy"
        name = _current_name(ctx, role, host)
        if not on and not name:
            return "nothing running to route to"
        route = role_route(cfg, role, role.proxy, name or "")
        path = proxy.config_path(cfg.service, role.name, cfg.destination)
        _write_route(ctx, host, path, route, on=on)
        url = proxy.backend_url(route)
        servers, what = (
            ((), f"maintenance mode (no server) for {route.name}")
            if on
            else ((url,), f"the route to {url}")
        )
        resource = proxy_api.service_resource(route.name)
        hostops.confirm_route(ctx, host, api_port, resource, servers, what=what)
        return "maintenance (503)" if on else f"live -> {name}"

    return per_host(ctx, sel, act)


def _write_route(ctx: Context, host: str, path: str, route: proxy.Route, *, on: bool) -> None:
    """Rename the maintenance (on) or normal route over the role's live config file."""
    content = (
        proxy.render_maintenance_config(route)
        if on
        else proxy.render_dynamic_config(route, version=route.backend)
    )
    temp = path.rsplit("/", 1)[0] + f"/.{route.name}.maintenance.tmp"
    ctx.executor.upload(ctx.target(host), temp, content, mode="644")
    hostops.run(ctx, host, proxy.rename_argv(temp, path))
