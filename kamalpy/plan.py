"""Pure: configuration + selection -> an ordered deploy plan (hosts, argv, what may retry).

A deploy is first this plan; `kamalpy.deploy` walks it with an executor, and `--dry-run` walks it
with the recording executor, so what is printed is exactly what would run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from kamalpy.commands import app, app_scripts, drain, error_pages, health, proxy, proxy_api
from kamalpy.commands.boot_script import Boot, Readiness
from kamalpy.config.model import Buffering, Configuration, Proxy, Role

Argv = tuple[str, ...]


@dataclass(frozen=True)
class RouteSwitch:
    """Writing one role's route on one host: temp file, rename, and the API resource to confirm."""

    path: str
    temp: str
    content: bytes
    api_resource: str
    backend_url: str


@dataclass(frozen=True)
class HostStep:
    """Everything one role does on one host during a deploy, in order."""

    host: str
    role: str
    container: str
    env_file: str
    clear_env_names: tuple[str, ...]
    secret_env: tuple[tuple[str, str], ...]  # (variable, secret name): values never here
    run: Argv  # the `docker run` inside `boot`, kept for inspection and tests
    boot: Boot  # one round trip: reuse / start again / run; no proxy: also ready + retire
    health: Argv | None
    switch: RouteSwitch | None
    in_flight: Argv | None
    retire: Argv  # after the new one took over: stop the old ones, prune beyond retain
    prune: Argv
    logs: Argv
    health_log: Argv
    remove_new: Argv


@dataclass(frozen=True)
class RolePlan:
    """One role's hosts in boot batches; the barrier sits between booting and switching."""

    role: str
    proxied: bool
    batches: tuple[tuple[HostStep, ...], ...]
    boot_wait: int | None

    @property
    def hosts(self) -> tuple[HostStep, ...]:
        """Every host step of the role, in order."""
        return tuple(h for batch in self.batches for h in batch)


@dataclass(frozen=True)
class DeployPlan:
    """A whole deploy: lock, env files, proxy, roles (each with a barrier), prune, audit."""

    service: str
    destination: str | None
    version: str
    image: str
    primary_host: str
    hosts: tuple[str, ...]
    proxy_hosts: tuple[str, ...]
    proxy: proxy.ProxySettings
    roles: tuple[RolePlan, ...]
    deploy_timeout: int
    drain_timeout: int
    readiness_delay: int
    health_interval: int
    health_timeout: int
    retain_containers: int
    rollback: bool = False


def proxy_settings(
    config: Configuration, *, api_port: int = proxy.DEFAULT_API_PORT
) -> proxy.ProxySettings:
    """The Traefik container settings: image from `proxy.run` registry/repository/version."""
    base = config.proxy
    run = base.run if base else None
    repository = (run.repository if run else None) or "traefik"
    registry = run.registry if run else None
    version = (run.version if run else None) or "v3"
    image = f"{registry}/{repository}:{version}" if registry else f"{repository}:{version}"
    ssl = any(r.proxy.ssl for r in config.roles if r.proxy)
    return proxy.ProxySettings(
        image=image,
        http_port=run.http_port if run else 80,
        https_port=run.https_port if run else 443,
        api_port=config.extras.proxy_api_port or api_port,
        ssl=ssl,
        bind_ips=run.bind_ips if run else (),
        acme_ca_server=config.extras.acme_ca_server,
        acme_email=config.extras.acme_email,
        acme_ca_pem=config.extras.acme_ca_pem,
        trust_forwarded_headers=any(
            r.proxy.forward_headers is True for r in config.roles if r.proxy
        ),
    )


def container_spec(
    config: Configuration, role: Role, host: str, labels: Mapping[str, str] | None = None
) -> app.AppContainer:
    """Everything `docker run` needs for the role's new container on host (+ extra labels)."""
    env = role.env_for_host(host)
    return app.AppContainer(
        service=config.service,
        role=role.name,
        destination=config.destination,
        version=config.version,
        image=config.absolute_image,
        host=host,
        env=dict(env.clear),
        env_file=app.env_file_path(config.service, config.destination, role.name),
        labels={**role.labels, **(labels or {})},
        volumes=config.volumes,
        options=role.options,
        logging=role.logging.args or app.DEFAULT_LOGGING,
        cmd=role.cmd,
    )


def role_route(config: Configuration, role: Role, proxied: Proxy, backend: str) -> proxy.Route:
    """The route of a proxied role to one container (by name) on the `kamal` network."""
    route = section_route(
        proxied, proxy.config_name(config.service, role.name, config.destination), backend
    )
    if not config.error_pages:
        return route
    pages = tuple(name for name, _ in config.error_pages)
    return replace(
        route,
        error_pages=pages,
        error_pages_dir=error_pages.pages_dir(config.service, config.destination),
    )


def section_route(proxied: Proxy, name: str, backend: str) -> proxy.Route:
    """The route one `proxy:` section (a role's or an accessory's) asks for, to `backend`."""
    return proxy.Route(
        name=name,
        hosts=proxied.hosts,
        path_prefixes=proxied.path_prefixes,
        backend=backend,
        app_port=proxied.app_port,
        ssl=proxied.ssl,
        response_timeout=proxied.response_timeout,
        strip_path_prefix=proxied.strip_path_prefix,
        ssl_redirect=proxied.ssl_redirect,
        buffering=buffer_limits(proxied),
        custom_cert=proxied.ssl_certificate is not None,
    )


def buffer_limits(proxied: Proxy) -> proxy.BufferLimits | None:
    """Buffering only when deploy.yml changes Kamal's defaults (Traefik streams otherwise)."""
    b = proxied.buffering
    if b == Buffering() or not (b.requests or b.responses):
        return None
    return proxy.BufferLimits(
        max_request_body=b.max_request_body if b.requests else 0,
        max_response_body=b.max_response_body if b.responses else 0,
        memory=b.memory,
    )


def _route_switch(config: Configuration, role: Role, proxied: Proxy) -> RouteSwitch:
    dest = config.destination
    route = role_route(config, role, proxied, config.container_name(role))
    return RouteSwitch(
        path=proxy.config_path(config.service, role.name, dest),
        temp=proxy.temp_path(config.service, role.name, dest, config.version),
        content=proxy.render_dynamic_config(route, version=config.version),
        api_resource=proxy_api.service_resource(route.name),
        backend_url=proxy.backend_url(route),
    )


def _host_step(
    config: Configuration, role: Role, host: str, *, rollback: bool, labels: Mapping[str, str]
) -> HostStep:
    name = config.container_name(role)
    dest = config.destination
    spec = container_spec(config, role, host, labels)
    p = role.proxy
    env = role.env_for_host(host)
    keep = max(config.retain_containers - 1, 0)
    run = app.run_argv(spec)
    retire = app_scripts.retire_argv(
        config.service, role.name, dest, name, None if p else config.drain_timeout, keep
    )
    boot = Boot(name, run, start_existing=rollback)
    if p is None:  # ready (Docker's `healthy`, else running after the delay): replace the old
        limit = max(config.deploy_timeout, config.readiness_delay + 5)
        boot = replace(boot, ready=Readiness(config.readiness_delay, limit), retire=retire)
    return HostStep(
        host=host,
        role=role.name,
        container=name,
        env_file=spec.env_file or "",
        clear_env_names=tuple(env.clear),
        secret_env=tuple((ref.name, ref.secret) for ref in env.secrets),
        run=run,
        boot=boot,
        health=health.healthcheck_argv(
            name, p.app_port, p.healthcheck.path, timeout=p.healthcheck.timeout
        )
        if p
        else None,
        switch=_route_switch(config, role, p) if p else None,
        in_flight=drain.in_flight_old_argv(config.service, role.name, dest, name, p.app_port)
        if p
        else None,
        retire=retire,
        prune=app_scripts.prune_containers_argv(config.service, role.name, dest, keep),
        logs=app.logs_argv(name, lines=50),
        health_log=app.health_log_argv(name),
        remove_new=app.remove_argv([name]),
    )


def _batches(steps: Sequence[HostStep], size: int) -> tuple[tuple[HostStep, ...], ...]:
    return tuple(tuple(steps[i : i + size]) for i in range(0, len(steps), max(size, 1)))


def _ordered_roles(config: Configuration, roles: Sequence[str] | None) -> list[Role]:
    chosen = [r for r in config.roles if roles is None or r.name in roles]
    # The primary role goes first, as in Kamal: it is the one people watch.
    return sorted(chosen, key=lambda r: (r.name != config.primary_role, r.name))


def _role_plans(
    config: Configuration,
    hosts: Sequence[str] | None,
    roles: Sequence[str] | None,
    rollback: bool,
    labels: Mapping[str, str],
) -> tuple[RolePlan, ...]:
    plans = []
    for role in _ordered_roles(config, roles):
        targets = [h for h in role.hosts if hosts is None or h in hosts]
        if not targets:
            continue
        steps = [_host_step(config, role, h, rollback=rollback, labels=labels) for h in targets]
        size = config.boot.batch_size(len(targets))
        batches = _batches(steps, size)
        plans.append(RolePlan(role.name, role.proxy is not None, batches, config.boot.wait))
    return tuple(plans)


def deploy_plan(
    config: Configuration,
    *,
    hosts: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    rollback: bool = False,
    api_port: int = proxy.DEFAULT_API_PORT,
    labels: Mapping[str, str] | None = None,
) -> DeployPlan:
    """The ordered plan of a deploy (or a rollback to `config.version`) for the selection.

    `labels` are added to every new container (the monorepo digests and revision).
    """
    role_plans = _role_plans(config, hosts, roles, rollback, labels or {})
    selected = tuple(dict.fromkeys(h.host for r in role_plans for h in r.hosts))
    proxied = tuple(dict.fromkeys(h.host for r in role_plans if r.proxied for h in r.hosts))
    hc = next((r.proxy.healthcheck for r in config.roles if r.proxy), None)
    return DeployPlan(
        service=config.service,
        destination=config.destination,
        version=config.version,
        image=config.absolute_image,
        primary_host=config.primary_host or (selected[0] if selected else ""),
        hosts=selected,
        proxy_hosts=proxied,
        proxy=proxy_settings(config, api_port=api_port),
        roles=role_plans,
        deploy_timeout=config.deploy_timeout,
        drain_timeout=config.drain_timeout,
        readiness_delay=config.readiness_delay,
        health_interval=hc.interval if hc else 1,
        health_timeout=hc.timeout if hc else 5,
        retain_containers=config.retain_containers,
        rollback=rollback,
    )
