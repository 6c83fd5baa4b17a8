"""`kamalpy remove`: a whole service off its hosts, leaving every other service serving.

App containers, routes, env files and images (app_ops.remove), every accessory (container,
image, directory, env file), the service's `.kamal/apps/<service>` directory and the registry
login; the proxy only on hosts where no route of any other service remains.
"""

from __future__ import annotations

from kamalpy.commands import app, error_pages, proxy, proxy_claims
from kamalpy.commands.registry import logout_argv
from kamalpy.deploy import accessory, app_ops, hostops, lock
from kamalpy.deploy.context import Context
from kamalpy.deploy.registry import uses_registry


def _tidy_host(ctx: Context, host: str) -> str:
    """The service's directory, then the proxy if nothing routes through it, then the login."""
    config = ctx.config
    hostops.run(ctx, host, ("rm", "-rf", "--", app.app_dir(config.service, config.destination)))
    said = []
    if host in config.proxy_hosts:
        hostops.run(ctx, host, error_pages.remove_pages_argv(config.service, config.destination))
        out = hostops.run(ctx, host, proxy_claims.read_routes_argv(), check=False).stdout
        others = sorted(proxy_claims.parse_routes(out))
        if others or ctx.dry_run:
            said.append(f"proxy kept (routes: {', '.join(others) or 'dry run'})")
        else:
            hostops.run(ctx, host, proxy.remove_argv(), check=False)
            hostops.run(ctx, host, error_pages.server_remove_argv(), check=False)
            said.append("proxy removed (no route left)")
    if uses_registry(config.registry) and config.registry.server:
        hostops.run(ctx, host, logout_argv(config.registry.server), check=False)
        said.append("logged out")
    return "; ".join(["directory removed", *said])


def remove_service(ctx: Context) -> list[str]:
    """Remove everything of the service, under its deploy lock; one result line per host."""
    config = ctx.config
    primary = config.primary_host or config.all_hosts[0]
    lock.acquire(ctx, primary, f"remove {config.service}")
    try:
        lines = app_ops.remove(ctx, app_ops.Selection())
        lines += accessory.on_hosts(
            ctx, config.accessories, None, lambda a, h: accessory.remove_on(ctx, a, h)
        )
        results = hostops.fan_out(ctx, config.all_hosts, lambda h: _tidy_host(ctx, h))
        results.raise_for_failures()
        lines += [f"{host}: {results[host]}" for host in results.succeeded]
    finally:
        lock.release(ctx, primary)
    return lines
