"""The deploy flow: lock, env files, pre-deploy hook, boot beside old, health, barrier, switch,
drain, stop old, prune, audit. A failing release is removed and the old one keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from kamalpy.deploy import hostops, lock
from kamalpy.deploy.context import Context
from kamalpy.deploy.env_files import check_env_files
from kamalpy.deploy.hooks import run_hook
from kamalpy.errors import DeployFailed, KamalpyError
from kamalpy.executor.fanout import HostsFailed
from kamalpy.executor.retry import poll_until
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
) -> Summary:
    """Run the whole deploy under the lock; raise DeployFailed (exit 1) naming host and reason.

    `login_host` (e.g. registry login) runs on each host before it is prepared; `deliver_host`
    (e.g. pull) under the lock before its env files; `before_boot` once, under the lock.
    """
    start = ctx.clock()
    hosts = list(plan.hosts)
    check_env_files(plan, ctx.secrets)  # a value Docker cannot carry stops us before any host
    run_hook(ctx, "pre-connect", hosts=hosts)
    # Before the lock, each host at its own pace: opens its one ssh connection, logs in (the
    # proxy's pull needs it), checks the tools, creates the network (idempotent) and boots the
    # proxy only where it is missing.
    _each_host(
        ctx,
        plan,
        login_host,
        _timed_step(ctx, "prepare host", partial(_prepare_host, ctx, plan, bootstrap)),
    )
    lock.acquire(ctx, plan.primary_host, f"{message} {plan.version}", wait=lock_wait)
    try:
        summary = _deploy_locked(ctx, plan, deliver_host, before_boot)
    except KamalpyError as error:
        _audit(ctx, plan, f"Failed {message} of {plan.version}: {error.message.splitlines()[0]}")
        raise
    finally:
        lock.release(ctx, plan.primary_host)
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
        summary.switched[role.role] = _deploy_role(ctx, plan, role)
    _audit(
        ctx,
        plan,
        f"Deployed {plan.service} version {plan.version} ({', '.join(r.role for r in plan.roles)})",
    )
    return summary


def _prepare_host(ctx: Context, plan: DeployPlan, bootstrap: bool, host: str) -> None:
    hostops.ensure_network_and_proxy(ctx, plan, host, bootstrap)


def _upload_env_files(ctx: Context, steps: list[HostStep], host: str) -> None:
    for step in steps:
        if step.host == host:
            hostops.upload_env_file(ctx, step)


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


def _deploy_role(ctx: Context, plan: DeployPlan, role: RolePlan) -> list[str]:
    """Boot and check every batch; only when ALL hosts are healthy, switch them (the barrier)."""
    booted: list[HostStep] = []
    for index, batch in enumerate(role.batches):
        if index and role.boot_wait and not ctx.dry_run:
            poll_until(lambda: False, interval=role.boot_wait, timeout=role.boot_wait)
        try:
            _boot_batch(ctx, plan, batch, booted)
        except KamalpyError as error:
            _abandon(ctx, role, booted, error)
            raise
    if not role.proxied:
        return [s.host for s in role.hosts]  # stopped old ones per host already (rolling)
    switch = f"{role.role}: switch proxy to {role.hosts[0].container}"
    _each_role_host(ctx, role, switch, partial(hostops.switch, ctx, plan))
    retire = f"{role.role}: drain and stop old"
    _each_role_host(ctx, role, retire, partial(hostops.drain_and_retire_old, ctx, plan))
    return [s.host for s in role.hosts]


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
    failed = [_step_for_batch(batch, h) for h in results.failed]
    report = [HostsFailed({h: results.errors[h] for h in results.failed}).message]
    report += [hostops.diagnostics(ctx, s) for s in failed]
    raise DeployFailed(
        "\n".join(report),
        hint="the previous version keeps serving; fix the release and deploy again",
    )


def _step_for_batch(batch: tuple[HostStep, ...], host: str) -> HostStep:
    return next(s for s in batch if s.host == host)


def _abandon(ctx: Context, role: RolePlan, booted: list[HostStep], error: KamalpyError) -> None:
    """Remove every new container this deploy booted for the role; old ones were never touched."""
    if not role.proxied:
        return  # rolled hosts already run the new version; the rest keep the old one
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
