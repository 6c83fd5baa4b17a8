"""The deploy flow: prepare hosts, lock, pre-deploy hook, then each role (`roles.py`: boot beside
the old, health barrier, switch, drain, stop old), audit. A failing release is removed and the
old one keeps serving."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial

from kamalpy.commands.boot_script import Retag
from kamalpy.commands.proxy_config import Drift
from kamalpy.deploy import hostops, lock, proxy_ops, routes
from kamalpy.deploy.booting import Extras
from kamalpy.deploy.context import Context
from kamalpy.deploy.env_files import check_env_files
from kamalpy.deploy.hooks import has_hook, run_hook
from kamalpy.deploy.roles import deploy_role
from kamalpy.errors import Interrupted, KamalpyError
from kamalpy.plan import DeployPlan, HostStep

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
    retag: Retag | None = None,
) -> Summary:
    """Run the whole deploy under the lock; raise DeployFailed (exit 1) naming host and reason.

    `login_host` (e.g. registry login) runs on each host before it is prepared; `deliver_host`
    (e.g. pull) under the lock before its env files; `before_boot` once, under the lock.
    A stop requested through `ctx.cancel` (a signal) removes the new containers that never took
    traffic, releases the lock and raises Interrupted. `switch_back=False` keeps hosts that
    switched when another host of the role fails after the barrier (mixed versions until a rerun).
    `prepared`: hosts whose tools, network and proxy the caller already made ready in this run
    (a monorepo deploy does it once per host for all its services): not checked again.
    `retag`: an image built for the same inputs, tagged as this version in each boot.
    """
    with ctx.cancel.watching():
        try:
            return _deploy(ctx, plan, lock_wait, login_host, deliver_host, before_boot, message,
                           bootstrap, lock_stale_after, switch_back, prepared, retag)  # fmt: skip
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
    retag: Retag | None,
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
            summary = _deploy_locked(ctx, plan, deliver_host, before_boot, switch_back, retag)
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
    retag: Retag | None,
) -> Summary:
    if before_boot is not None:
        before_boot()  # e.g. stream the image to every host
    # A pre-deploy hook (migrations) must see the new env files on the hosts: they go first,
    # in a step of their own; else each boot writes its role's env file in its round trip.
    staged = has_hook(ctx, "pre-deploy")
    steps = [s for role in plan.roles for s in role.hosts] if staged else []
    if staged or routes.has_files(ctx.config):
        what = "env files" if staged else "route files"
        upload = _timed_step(ctx, what, partial(_upload_files, ctx, steps))
        _each_host(ctx, plan, deliver_host, upload)
    else:
        _each_host(ctx, plan, deliver_host)
    run_hook(ctx, "pre-deploy", hosts=list(plan.hosts), roles=[r.role for r in plan.roles])
    summary = Summary(plan.version)
    roles = ", ".join(r.role for r in plan.roles)
    message = f"Deployed {plan.service} version {plan.version} ({roles})"
    line = hostops.audit_argv(ctx, message)
    # Each host's last step of the deploy appends the line in its own round trip.
    last = {step.host: role.role for role in plan.roles for step in role.hosts}
    audited: set[str] = set()
    extras = Extras(env_files=not staged, retag=retag)
    for role in plan.roles:
        audits = {h: line for h, r in last.items() if r == role.role}
        summary.switched[role.role] = deploy_role(
            ctx, plan, role, extras=extras, audits=audits, audited=audited,
            switch_back=switch_back,
        )  # fmt: skip
    _audit(ctx, plan, message, skip=audited)
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


def _upload_files(ctx: Context, steps: list[HostStep], host: str) -> None:
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


def _audit(ctx: Context, plan: DeployPlan, message: str, skip: Collection[str] = ()) -> None:
    """The line on every host of the deploy: Kamal writes (and `kamal audit` reads) each one."""
    hosts = [h for h in plan.hosts if h not in skip]
    if not hosts:
        return
    results = hostops.fan_out(ctx, hosts, lambda host: hostops.record_audit(ctx, host, message))
    for host in results.failed:  # the audit must never hide the deploy's own outcome
        error = results.errors[host]
        why = error.message if isinstance(error, KamalpyError) else str(error)
        ctx.console.warn(f"audit log not written on {host}: {why}")
