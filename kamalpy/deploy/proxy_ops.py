"""The proxy's container: booted where missing, replaced host by host when its configuration
changed (or on `proxy reboot`), each host reporting how long its proxy was not answering (removal
of the old until the new one's ping); `proxy start|stop|restart|remove`."""

from __future__ import annotations

from collections.abc import Mapping

from kamalpy.commands import app_scripts, error_pages, proxy, proxy_claims, proxy_config
from kamalpy.commands.health import http_get_argv, split_http_response
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.errors import DeployFailed
from kamalpy.executor.retry import poll_until
from kamalpy.plan import DeployPlan

PING_TIMEOUT = 30.0


def _answers(ctx: Context, host: str, api_port: int) -> bool:
    out = hostops.run(ctx, host, http_get_argv("127.0.0.1", api_port, "/ping", timeout=2),
                      check=False)  # fmt: skip
    return split_http_response(out.stdout)[0] == 200


def reboot(ctx: Context, settings: proxy.ProxySettings, host: str) -> str:
    """Replace the proxy (e.g. a new image) on one host; how long it did not answer."""
    hostops.run(ctx, host, proxy.mkdir_argv())
    started = ctx.clock()
    hostops.run(ctx, host, proxy.remove_argv(), check=False)
    upload_acme_ca(ctx, settings, host)
    hostops.run(ctx, host, proxy_config.boot_argv(settings))
    if ctx.dry_run:
        _answers(ctx, host, settings.api_port)
        return "rebooted (dry run)"
    if not poll_until(lambda: _answers(ctx, host, settings.api_port), interval=0.05,
                      timeout=PING_TIMEOUT):  # fmt: skip
        message = f"{host}: the new proxy did not answer its ping within {PING_TIMEOUT:g}s"
        raise DeployFailed(message, hint="kamalpy proxy logs")
    return f"rebooted {settings.image}: not answering for {ctx.clock() - started:.2f}s"


def reconfigure(
    ctx: Context, plan: DeployPlan, drifts: Mapping[str, proxy_config.Drift | None]
) -> None:
    """Replace each proxy whose configuration changed, one host at a time, saying why."""
    for host in dict.fromkeys([*plan.hosts, *drifts]):
        found = drifts.get(host)
        if found is not None:
            reconfigure_host(ctx, host, found)


def reconfigure_host(ctx: Context, host: str, found: proxy_config.Drift) -> None:
    """Replace one host's proxy with the wanted settings; one line with why and its gap."""
    said = reboot(ctx, found.settings, host)
    ctx.console.info(f"{host}: proxy reconfigured ({found.why}): {said}")


def ensure_network_and_proxy(
    ctx: Context,
    plan: DeployPlan,
    host: str,
    boot_proxy: bool = True,
    settings: proxy.ProxySettings | None = None,
) -> proxy_config.Drift | None:
    """Preflight and the `kamal` network; boot Traefik where a proxied role needs it.

    A running proxy is left alone here; what it lacks is returned, and the caller replaces
    it one host at a time (`reconfigure`), never several hosts at once.
    """
    hostops.run(ctx, host, app_scripts.network_create_argv())
    if host not in plan.proxy_hosts or not boot_proxy:
        return None
    return ensure_proxy(ctx, settings or plan.proxy, host)


def ensure_proxy(
    ctx: Context, settings: proxy.ProxySettings, host: str
) -> proxy_config.Drift | None:
    """Boot the proxy where there is none, start a stopped one; how a running one differs."""
    hostops.run(ctx, host, proxy.mkdir_argv())
    found = hostops.run(ctx, host, proxy_config.inspect_argv(), check=False)
    running = proxy_config.parse_inspect(found.ok, found.stdout)
    if running is None:
        upload_acme_ca(ctx, settings, host)
        boot = proxy_config.boot_argv(settings)
        hostops.timed(ctx, host, "boot proxy", lambda: hostops.run(ctx, host, boot))
        return None
    if running.status != "running":
        hostops.run(ctx, host, proxy.start_argv())
    return proxy_config.drift(settings, running)


def upload_acme_ca(ctx: Context, settings: proxy.ProxySettings, host: str) -> None:
    """The CA bundle the proxy trusts for a private ACME server, before the proxy boots."""
    if settings.acme_ca_pem:
        pem = settings.acme_ca_pem.encode()
        ctx.executor.upload(ctx.target(host), proxy.ACME_CA_FILE, pem, mode="644")


def remove(ctx: Context, host: str) -> str:
    """Remove the proxy container; say which routes it still carried."""
    out = hostops.run(ctx, host, proxy_claims.read_routes_argv(), check=False).stdout
    routes = sorted(proxy_claims.parse_routes(out))
    hostops.run(ctx, host, proxy.remove_argv(), check=False)
    hostops.run(ctx, host, error_pages.server_remove_argv(), check=False)
    carried = f" (it still routed {', '.join(routes)})" if routes else ""
    return "removed" + carried
