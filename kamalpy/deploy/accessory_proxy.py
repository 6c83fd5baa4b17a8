"""An accessory's own `proxy:` route through the host's shared proxy, like an app role's.

The route file is `~/.kamal/proxy/dynamic/<accessory service>.yml` (the accessory's container
name, e.g. `shop-grafana`), its backend the container's name on the `kamal` network. It is
written (temp file + rename, confirmed through Traefik's API) after each boot, reboot or upgrade,
checked first against every other route's host + path, and removed with the accessory.
"""

from __future__ import annotations

from dataclasses import replace

from kamalpy.commands import proxy, proxy_api, proxy_claims
from kamalpy.config.model import Accessory
from kamalpy.deploy import hostops, proxy_ops, registry
from kamalpy.deploy.context import Context
from kamalpy.errors import UsageError
from kamalpy.plan import proxy_settings, section_route

VERSION = "accessory"  # the route file's header names no app version


def accessory_route(acc: Accessory) -> proxy.Route:
    """An accessory's own route (its `proxy:`): named and backed by its container's name."""
    proxied = acc.proxy
    if proxied is None:
        raise ValueError(f"accessory {acc.name} has no proxy section")
    return section_route(proxied, acc.service, acc.service)


def _check_claims(ctx: Context, acc: Accessory, host: str, route: proxy.Route) -> None:
    out = hostops.run(ctx, host, proxy_claims.read_routes_argv(), check=False).stdout
    if ctx.dry_run:
        return
    ours = {route.name: proxy_claims.claims_of(route.hosts, route.path_prefixes)}
    found = proxy_claims.conflicts(ours, proxy_claims.parse_routes(out))
    if found:
        lines = "\n".join(f"  {c.describe()}" for c in found)
        raise UsageError(
            f"{host}: the proxy already routes what accessory {acc.name} claims; its route was "
            f"not written:\n{lines}",
            hint="give the accessory another proxy.host or path_prefix",
        )


def _ensure_proxy(ctx: Context, acc: Accessory, host: str) -> int:
    """The proxy running as wanted on `host` (booted or reconfigured); its API port."""
    config = ctx.config
    settings = proxy_settings(config)
    if acc.proxy is not None and acc.proxy.ssl and not settings.ssl:
        settings = replace(settings, ssl=True)
    if registry.uses_registry(config.registry) and config.registry.password is not None:
        registry.login_on(ctx.executor, ctx.target(host), config.registry, ctx.secrets)
    found = proxy_ops.ensure_proxy(ctx, settings, host)
    if found is not None:
        proxy_ops.reconfigure_host(ctx, host, found)
    return settings.api_port


def route_on(ctx: Context, acc: Accessory, host: str) -> str:
    """Write the accessory's route on `host` and wait until the proxy routes to it."""
    route = accessory_route(acc)
    _check_claims(ctx, acc, host, route)
    api_port = _ensure_proxy(ctx, acc, host)
    temp = f"{proxy.DYNAMIC_DIR}/.{route.name}.{VERSION}.tmp"
    content = proxy.render_dynamic_config(route, version=VERSION)
    ctx.executor.upload(ctx.target(host), temp, content, mode="644")
    hostops.run(ctx, host, proxy.rename_argv(temp, path_of(acc)))
    url = proxy.backend_url(route)
    hostops.confirm_route(ctx, host, api_port, proxy_api.service_resource(route.name), (url,),
                          what=f"the route to accessory {acc.name}")  # fmt: skip
    return f"routed ({', '.join(route.hosts) or 'any host'}{_paths(route)})"


def _paths(route: proxy.Route) -> str:
    prefixes = [p for p in route.path_prefixes if p and p != "/"]
    return f" {', '.join(prefixes)}" if prefixes else ""


def path_of(acc: Accessory) -> str:
    """The accessory's route file, relative to the ssh user's home."""
    return f"{proxy.DYNAMIC_DIR}/{acc.service}.yml"


def unroute_on(ctx: Context, acc: Accessory, host: str) -> None:
    """Remove the accessory's route file (the proxy stops routing to it at once)."""
    hostops.run(ctx, host, proxy.remove_config_argv(path_of(acc)))
