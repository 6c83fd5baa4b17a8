"""Per-host operations of a deploy, each one timed and reported as one console line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from kamalpy.commands import audit, proxy, proxy_api
from kamalpy.deploy.context import Context
from kamalpy.deploy.env_files import env_file_body
from kamalpy.errors import CommandFailed, DeployFailed, KamalpyError
from kamalpy.executor.base import Completed, Target
from kamalpy.executor.fanout import HostResults, on_hosts
from kamalpy.executor.retry import poll_until
from kamalpy.plan import DeployPlan, HostStep, RouteSwitch

T = TypeVar("T")
Argv = tuple[str, ...]
# How long a route change may take to show in the proxy's API (~0.2 s measured) before failing.
ROUTE_CONFIRM_TIMEOUT = 15.0


def timed(ctx: Context, host: str, what: str, action: Callable[[], T]) -> T:
    """Run action, then print one line for host and step with its duration (FAILED on error).

    A requested stop (signal) is honoured here, before the step starts, outside cleanup.
    """
    ctx.cancel.check()
    start = ctx.clock()
    try:
        result = action()
    except BaseException:
        ctx.console.step(host, what, ctx.clock() - start, ok=False)
        raise
    ctx.console.step(host, what, ctx.clock() - start)
    return result


def run(ctx: Context, host: str, argv: Sequence[str], *, check: bool = True) -> Completed:
    """Run one command on a host (refused once a stop was requested, outside cleanup)."""
    ctx.cancel.check()
    return ctx.executor.run(ctx.target(host), tuple(argv), check=check)


def fan_out(ctx: Context, hosts: Sequence[str], action: Callable[[str], T]) -> HostResults[T]:
    """Run action(host) on every host in parallel; collect a result or an error per host.

    Workers inherit the caller's cleanup shield; outside cleanup a requested stop keeps hosts
    that have not started from starting.
    """
    targets = [ctx.target(h) for h in dict.fromkeys(hosts)]
    shielded = ctx.cancel.shielded

    def one(target: Target) -> T:
        with ctx.cancel.shield(shielded):
            ctx.cancel.check()
            return action(target.name)

    return on_hosts(targets, one, limit=ctx.config.extras.parallel_hosts)


def upload_env_file(ctx: Context, step: HostStep) -> None:
    """Write the role's secret env file (0600) on the host through ssh's stdin, BEFORE any boot."""
    body = env_file_body(step, ctx.secrets)
    ctx.executor.upload(ctx.target(step.host), step.env_file, body, mode="600", parent_mode="700")


def switch(ctx: Context, plan: DeployPlan, step: HostStep) -> bytes | None:
    """Point the role's route at the new container (temp file + rename), confirm via the API.

    Returns the route file it replaced (None on a first deploy), for `switch_back`.
    """
    sw = step.switch
    if sw is None:
        return None
    before = run(ctx, step.host, proxy.read_config_argv(sw.path), check=False)
    _write_route(ctx, plan, step.host, sw, sw.content, (sw.backend_url,))
    return before.stdout.encode() if before.ok and before.stdout.strip() else None


def switch_back(ctx: Context, plan: DeployPlan, step: HostStep, previous: bytes) -> None:
    """Restore the route file `switch` replaced (the old container still runs), confirm it."""
    sw = step.switch
    if sw is not None:
        _write_route(ctx, plan, step.host, sw, previous, proxy.route_servers(previous))


def _write_route(
    ctx: Context,
    plan: DeployPlan,
    host: str,
    sw: RouteSwitch,
    content: bytes,
    servers: tuple[str, ...],
) -> None:
    ctx.executor.upload(ctx.target(host), sw.temp, content, mode="644")
    run(ctx, host, proxy.rename_argv(sw.temp, sw.path))
    what = f"the route to {', '.join(servers) or 'no server'}"
    confirm_route(ctx, host, plan.proxy.api_port, sw.api_resource, servers, what=what)


def confirm_route(
    ctx: Context,
    host: str,
    api_port: int,
    resource: str,
    servers: tuple[str, ...],
    *,
    what: str,
) -> None:
    """Poll Traefik's API until the service lists exactly `servers`; dry run: print the query."""
    argv = proxy.api_argv(api_port, resource)
    if ctx.dry_run:
        run(ctx, host, argv, check=False)
        return
    seen: list[tuple[str, ...] | None] = [None]

    def shows_servers() -> bool:
        seen[0] = proxy_api.reported_servers(run(ctx, host, argv, check=False).stdout)
        return seen[0] == servers

    if not poll_until(shows_servers, interval=0.05, timeout=ROUTE_CONFIRM_TIMEOUT):
        raise DeployFailed(
            f"{host}: the proxy did not pick up {what} within {ROUTE_CONFIRM_TIMEOUT:g}s "
            f"(its API still reports {proxy_api.describe_servers(seen[0])} for {resource})",
            hint="is the proxy running? `kamalpy proxy details`, `kamalpy proxy boot`",
        )


def drain_old(ctx: Context, plan: DeployPlan, step: HostStep) -> None:
    """Wait until old containers have no request in flight (or drain_timeout)."""
    in_flight = step.in_flight
    if in_flight is not None and not ctx.dry_run:
        zeros = [0]

        def drained() -> bool:
            # Two zero readings in a row: a request routed just before the switch has had
            # time to open its connection to the old container and be counted.
            out = run(ctx, step.host, in_flight, check=False).stdout.strip()
            zeros[0] = zeros[0] + 1 if out == "0" else 0
            return zeros[0] >= 2

        poll_until(drained, interval=0.25, timeout=plan.drain_timeout)
    elif in_flight is not None:
        run(ctx, step.host, in_flight, check=False)


def diagnostics(ctx: Context, step: HostStep) -> str:
    """The failing container's last 50 log lines and its Docker health log, for the error."""
    parts = [f"--- {step.host}: last 50 log lines of {step.container} ---"]
    try:
        logs = run(ctx, step.host, step.logs, check=False)
        parts.append((logs.stdout + logs.stderr).rstrip() or "(no output)")
        docker_health = run(ctx, step.host, step.health_log, check=False).stdout.strip()
        if docker_health not in ("", "null"):
            parts.append(f"--- {step.host}: docker health of {step.container} ---")
            parts.append(docker_health)
    except KamalpyError as error:
        parts.append(f"(diagnostics unavailable: {error.message})")
    return "\n".join(parts)


def remove_new(ctx: Context, step: HostStep) -> None:
    """Stop and remove the failed new container; the old one keeps serving."""
    run(ctx, step.host, step.remove_new, check=False)


def audit_argv(ctx: Context, message: str, *, role: str | None = None) -> Argv:
    """The command that appends one line to the audit log on a host."""
    line = audit.audit_line(
        message,
        recorded_at=ctx.recorded_at,
        performer=ctx.performer,
        destination=ctx.config.destination,
        role=role,
    )
    return audit.record_argv(ctx.config.service, ctx.config.destination, line)


def record_audit(ctx: Context, host: str, message: str, *, role: str | None = None) -> None:
    """Append one line to the audit log on a host."""
    run(ctx, host, audit_argv(ctx, message, role=role))


def first_error(results: HostResults[object]) -> KamalpyError | None:
    """The first host's error as a KamalpyError (unknown ones wrapped), or None."""
    for host in results.failed:
        error = results.errors[host]
        if isinstance(error, KamalpyError):
            return error
        return CommandFailed(
            host=host,
            command="(internal)",
            exit_status=1,
            output_tail=f"{type(error).__name__}: {error}",
        )
    return None
