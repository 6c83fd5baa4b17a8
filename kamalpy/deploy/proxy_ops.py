"""`proxy reboot|start|stop|restart|remove`: a new proxy container goes host by host, and each
host reports how long its proxy was not answering (stop of the old until the new one's ping)."""

from __future__ import annotations

from kamalpy.commands import proxy, proxy_claims
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


def reboot(ctx: Context, plan: DeployPlan, host: str) -> str:
    """Replace the proxy (e.g. a new image) on one host; how long it did not answer."""
    hostops.run(ctx, host, proxy.mkdir_argv())
    started = ctx.clock()
    hostops.run(ctx, host, proxy.remove_argv(), check=False)
    hostops.upload_acme_ca(ctx, plan, host)
    hostops.run(ctx, host, proxy.run_argv(plan.proxy))
    if ctx.dry_run:
        _answers(ctx, host, plan.proxy.api_port)
        return "rebooted (dry run)"
    if not poll_until(lambda: _answers(ctx, host, plan.proxy.api_port), interval=0.05,
                      timeout=PING_TIMEOUT):  # fmt: skip
        message = f"{host}: the new proxy did not answer its ping within {PING_TIMEOUT:g}s"
        raise DeployFailed(message, hint="kamalpy proxy logs")
    return f"rebooted {plan.proxy.image}: not answering for {ctx.clock() - started:.2f}s"


def remove(ctx: Context, host: str) -> str:
    """Remove the proxy container; say which routes it still carried."""
    out = hostops.run(ctx, host, proxy_claims.read_routes_argv(), check=False).stdout
    routes = sorted(proxy_claims.parse_routes(out))
    hostops.run(ctx, host, proxy.remove_argv(), check=False)
    carried = f" (it still routed {', '.join(routes)})" if routes else ""
    return "removed" + carried
