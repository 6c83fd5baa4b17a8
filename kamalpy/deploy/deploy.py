"""The deploy flow: lock, env files, pre-deploy hook, boot beside old, health, barrier, switch,
drain, stop old, prune, audit. A failing release is removed and the old one keeps serving."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial

from kamalpy.commands.proxy_config import Drift
from kamalpy.deploy import hostops, lock, proxy_ops, routes
from kamalpy.deploy.context import Context
from kamalpy.deploy.env_files import check_env_files
from kamalpy.deploy.hooks import run_hook
from kamalpy.errors import DeployFailed, Interrupted, KamalpyError
from kamalpy.executor.fanout import HostsFailed
from kamalpy.plan import DeployPlan, HostStep, RolePlan

HostAction = Callable[[str], None]


@dataclass
class Summary:
    """What changed where: per role, the hosts now serving the new version."""

    version: str
    switched: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def deploy(
    ctx: Context,
    plan: DeployPlan,
    *,
    lock_wait: float = 0,
    login_host: HostAction | None = None,
    deliver_host: HostAction | None = None,
    before_boot: Callable[[], None] | None = None,
    message: str = "deploy",
    bootstrap: bool = True,
    lock_stale_after: float = lock.DEFAULT_STALE_AFTER,
    switch_back: bool = True,
    prepared: Collection[str] = (),
) -> Summary:
    """Run the whole deploy under the lock; raise DeployFailed (exit 1) naming host and reason.

    `login_host` (e.g. registry login) runs on each host before it is prepared; `deliver_host`
    (e.g. pull) under the lock before its env files; `before_boot` once, under the lock.
    A stop requested through `ctx.cancel` (a signal) removes the new containers that never took
    traffic, releases the lock and raises Interrupted. `switch_back=False` keeps hosts that
    switched when another host of the role fails after the barrier (mixed versions until a rerun).
    `prepared`: hosts whose tools, network and proxy the caller already made ready in this run
    (a monorepo deploy does it once per host for all its services): not checked again.
    """
    with ctx.cancel.watching():
        try:
            return _deploy(ctx, plan, lock_wait, login_host, deliver_host, before_boot, message,
                           bootstrap, lock_stale_after, switch_back, prepared)  # fmt: skip
        except KamalpyError as error:
            if ctx.cancel.requested and not isinstance(error, Interrupted):
                raise ctx.cancel.error(f"{ctx.cancel.error()}: nothing changed") from error
            raise


def _deploy(
    ctx: Context,
    plan: DeployPlan,
    lock_wait: float,
    login_host: HostAction | None,
    deliver_host: HostAction | None,
    before_boot: Callable[[], None] | None,
    message: str,
    bootstrap: bool,
    lock_stale_after: float,
    switch_back: bool,
    prepared: Collection[str],
) -> Summary:
    start = ctx.clock()
    hosts = list(plan.hosts)
    check_env_files(plan, ctx.secrets)  # a value Docker cannot carry stops us before any host
    run_hook(ctx, "pre-connect", hosts=hosts)
    # Before the lock, each host at its own pace: opens its one ssh connection, logs in (the
    # proxy's pull needs it), checks the tools, creates the network (idempotent) and boots the
    # proxy only where it is missing; a proxy whose configuration changed is replaced after,
    # one host at a time.
    drifts: dict[str, Drift | None] = {}
    _each_host(
        ctx,
        plan,
        login_host,
        _timed_step(
            ctx, "prepare host", partial(_prepare_host, ctx, plan, bootstrap, prepared, drifts)
        ),
    )
    proxy_ops.reconfigure(ctx, plan, drifts)
    taken = lock.acquire(
        ctx, plan.primary_host, f"{message} {plan.version}", wait=lock_wait,
        stale_after=lock_stale_after,
    )  # fmt: skip
    if taken.took_over:
        _audit(ctx, plan, f"Took over a stale deploy lock: {taken.took_over}")
    stopped: KamalpyError | None = None
    try:
        with lock.heartbeat(ctx, taken, lock_stale_after):
            summary = _deploy_locked(ctx, plan, deliver_host, before_boot, switch_back)
    except KamalpyError as error:
        failed = f"Failed {message} of {plan.version}: {error.message.splitlines()[0]}"
        with ctx.cancel.shield():
            _audit(ctx, plan, failed)
        if not ctx.cancel.requested:
            raise
        stopped = error
    finally:
        lock.release_own(ctx, taken)
    if stopped is not None:
        done = "new containers that took no traffic removed, lock released"
        raise ctx.cancel.error(f"{ctx.cancel.error()}: {done}") from stopped
    summary.seconds = ctx.clock() - start
    run_hook(
        ctx, "post-deploy", hosts=hosts, roles=[r.role for r in plan.roles], runtime=summary.seconds
    )
    return summary


def _deploy_locked(
    ctx: Context,
    plan: DeployPlan,
    deliver_host: HostAction | None,
    before_boot: Callable[[], None] | None,
    switch_back: bool,
) -> Summary:
    if before_boot is not None:
        before_boot()  # e.g. stream the image to every host
    steps = [s for role in plan.roles for s in role.hosts]
    # Env files first, so the pre-deploy hook (migrations) already sees the new env on the hosts.
    upload = _timed_step(ctx, "env files", partial(_upload_env_files, ctx, steps))
    _each_host(ctx, plan, deliver_host, upload)
    run_hook(ctx, "pre-deploy", hosts=list(plan.hosts), roles=[r.role for r in plan.roles])
    summary = Summary(plan.version)
    for role in plan.roles:
        summary.switched[role.role] = _deploy_role(ctx, plan, role, switch_back)
    _audit(
        ctx,
        plan,
        f"Deployed {plan.service} version {plan.version} ({', '.join(r.role for r in plan.roles)})",
    )
    return summary


def _prepare_host(
    ctx: Context,
    plan: DeployPlan,
    bootstrap: bool,
    prepared: Collection[str],
    drifts: dict[str, Drift | None],
    host: str,
) -> None:
    routes.check_claims(ctx, host)  # another service's route on our host + path: stop here
    if host not in prepared:  # the caller also left its proxy as every service wants it
        drifts[host] = proxy_ops.ensure_network_and_proxy(ctx, plan, host, bootstrap)


def _upload_env_files(ctx: Context, steps: list[HostStep], host: str) -> None:
    for step in steps:
        if step.host == host:
            hostops.upload_env_file(ctx, step)
    routes.upload_certificates(ctx, host)  # custom TLS certificates, before any switch
    routes.upload_error_pages(ctx, host)  # and the pages the new route's middlewares fetch


def _timed_step(ctx: Context, what: str, action: HostAction) -> HostAction:
    """`action` printed as one per-host step line with its duration."""
    return lambda host: hostops.timed(ctx, host, what, lambda: action(host))


def _each_host(ctx: Context, plan: DeployPlan, *actions: HostAction | None) -> None:
    """Run the actions in order per host, hosts in parallel (no waiting between actions)."""

    def run_all(host: str) -> None:
        for action in actions:
            if action is not None:
                action(host)

    hostops.fan_out(ctx, plan.hosts, run_all).raise_for_failures()  # the one barrier


def _audit(ctx: Context, plan: DeployPlan, message: str) -> None:
    """The line on every host of the deploy: Kamal writes (and `kamal audit` reads) each one."""
    results = hostops.fan_out(
        ctx, plan.hosts, lambda host: hostops.record_audit(ctx, host, message)
    )
    for host in results.failed:  # the audit must never hide the deploy's own outcome
        error = results.errors[host]
        why = error.message if isinstance(error, KamalpyError) else str(error)
        ctx.console.warn(f"audit log not written on {host}: {why}")


def _deploy_role(ctx: Context, plan: DeployPlan, role: RolePlan, switch_back: bool) -> list[str]:
    """Boot and check every batch; only when ALL hosts are healthy, switch them (the barrier)."""
    booted: list[HostStep] = []
    for index, batch in enumerate(role.batches):
        if index and role.boot_wait and not ctx.dry_run and ctx.cancel.wait(role.boot_wait):
            _abandon(ctx, role, booted)
            raise ctx.cancel.error()
        try:
            _boot_batch(ctx, plan, batch, booted)
        except KamalpyError:
            _abandon(ctx, role, booted)
            raise
    if not role.proxied:
        return [s.host for s in role.hosts]  # stopped old ones per host already (rolling)
    # Past the barrier the role finishes (or switches back) even when a stop is requested: the
    # new containers take traffic now, and half a switch would leave two versions serving.
    with ctx.cancel.shield():
        _switch_role(ctx, plan, role, switch_back)
        retire = f"{role.role}: drain and stop old"
        _each_role_host(ctx, role, retire, partial(hostops.drain_and_retire_old, ctx, plan))
    return [s.host for s in role.hosts]


def _switch_role(ctx: Context, plan: DeployPlan, role: RolePlan, switch_back: bool) -> None:
    """Switch every host of the role; if one fails, switch the others back (unless told not to)."""
    previous: dict[str, bytes | None] = {}

    def one(host: str) -> None:
        step = _step_for(role, host)
        what = f"{role.role}: switch proxy to {step.container}"
        previous[host] = hostops.timed(ctx, host, what, lambda: hostops.switch(ctx, plan, step))

    results = hostops.fan_out(ctx, [s.host for s in role.hosts], one)
    if results.ok:
        return
    failure = HostsFailed({h: results.errors[h] for h in results.failed})
    switched = [h for h in results.succeeded if previous.get(h) is not None]
    if not switch_back or not switched:
        raise failure
    reverted = _switch_back(ctx, plan, role, {h: previous[h] for h in switched})
    kept = [h for h in switched if h not in reverted]
    outcome = f"{role.role}: switched {', '.join(reverted)} back to the previous version" + (
        f"; could NOT switch back {', '.join(kept)}" if kept else ": nothing changed"
    )
    raise DeployFailed(
        f"{failure.message}\n{outcome}",
        hint=f"once {', '.join(results.failed)} can be reached, deploy again "
        "(--no-switch-back keeps the hosts that switched instead)",
    )


def _switch_back(
    ctx: Context, plan: DeployPlan, role: RolePlan, previous: dict[str, bytes | None]
) -> list[str]:
    """Restore each host's previous route; the hosts where that worked."""

    def one(host: str) -> None:
        content = previous[host]
        assert content is not None
        step = _step_for(role, host)
        what = f"{role.role}: switch proxy back"
        hostops.timed(ctx, host, what, lambda: hostops.switch_back(ctx, plan, step, content))

    results = hostops.fan_out(ctx, list(previous), one)
    for host in results.failed:
        ctx.console.warn(f"{host}: could not switch back: {results.errors[host]}")
    return results.succeeded


def _each_role_host(
    ctx: Context, role: RolePlan, what: str, action: Callable[[HostStep], None]
) -> None:
    """`action` on each host of the role in parallel, one timed line each; raise for failures."""

    def one(host: str) -> None:
        hostops.timed(ctx, host, what, lambda: action(_step_for(role, host)))

    hostops.fan_out(ctx, [s.host for s in role.hosts], one).raise_for_failures()


def _step_for(role: RolePlan, host: str) -> HostStep:
    return next(s for s in role.hosts if s.host == host)


def _boot_batch(
    ctx: Context, plan: DeployPlan, batch: tuple[HostStep, ...], booted: list[HostStep]
) -> None:
    def one(host: str) -> None:
        step = _step_for_batch(batch, host)
        outcome = hostops.timed(
            ctx, host, f"{step.role}: boot {step.container}", lambda: hostops.boot(ctx, step)
        )
        if outcome == "boot":
            booted.append(step)
        hostops.timed(
            ctx,
            host,
            f"{step.role}: healthy {step.container}",
            lambda: hostops.wait_healthy(ctx, plan, step),
        )
        if step.switch is None:  # no proxy: ready means it can replace the old one now
            hostops.timed(
                ctx,
                host,
                f"{step.role}: stop old",
                lambda: hostops.drain_and_retire_old(ctx, plan, step),
            )

    results = hostops.fan_out(ctx, [s.host for s in batch], one)
    if results.ok:
        return
    ctx.cancel.check()  # stopped by a signal: Interrupted, not a failed release
    failed = [_step_for_batch(batch, h) for h in results.failed]
    report = [HostsFailed({h: results.errors[h] for h in results.failed}).message]
    report += [hostops.diagnostics(ctx, s) for s in failed]
    raise DeployFailed(
        "\n".join(report),
        hint="the previous version keeps serving; fix the release and deploy again",
    )


def _step_for_batch(batch: tuple[HostStep, ...], host: str) -> HostStep:
    return next(s for s in batch if s.host == host)


def _abandon(ctx: Context, role: RolePlan, booted: list[HostStep]) -> None:
    """Remove every new container this deploy booted for the role; old ones were never touched."""
    if not role.proxied:
        return  # rolled hosts already run the new version; the rest keep the old one
    with ctx.cancel.shield():
        for step in booted:
            try:
                hostops.timed(
                    ctx,
                    step.host,
                    f"{role.role}: remove failed {step.container}",
                    partial(hostops.remove_new, ctx, step),
                )
            except KamalpyError as cleanup_error:
                ctx.console.warn(
                    f"{step.host}: could not remove {step.container}: {cleanup_error.message}"
                )
