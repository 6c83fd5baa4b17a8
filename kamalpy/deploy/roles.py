"""One role of a deploy: boot batch by batch, the health barrier, switch (or back), retire.

A role behind the proxy boots and passes its health check on EVERY host before any host
switches; a role without a proxy replaces the old container on each host as soon as the new
one is ready (in the boot's round trip).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from kamalpy.deploy import booting, hostops
from kamalpy.deploy.booting import Extras
from kamalpy.deploy.context import Context
from kamalpy.errors import DeployFailed, KamalpyError
from kamalpy.executor.fanout import HostsFailed
from kamalpy.plan import DeployPlan, HostStep, RolePlan

Argv = tuple[str, ...]


def deploy_role(
    ctx: Context,
    plan: DeployPlan,
    role: RolePlan,
    *,
    extras: Extras,
    audits: Mapping[str, Argv],
    audited: set[str],
    switch_back: bool,
) -> list[str]:
    """Boot and check every batch; only when ALL hosts are healthy, switch them (the barrier).

    `audits`: the line each host's last step of the deploy appends (hosts where it was are
    added to `audited`).
    """
    booted: list[HostStep] = []
    for index, batch in enumerate(role.batches):
        if index and role.boot_wait and not ctx.dry_run and ctx.cancel.wait(role.boot_wait):
            _abandon(ctx, role, booted)
            raise ctx.cancel.error()
        try:
            _boot_batch(ctx, plan, batch, booted, extras, audits, audited)
        except KamalpyError:
            _abandon(ctx, role, booted)
            raise
    if not role.proxied:
        return [s.host for s in role.hosts]  # stopped old ones per host already (rolling)
    if ctx.cancel.requested and not ctx.cancel.shielded:
        # Stopped before the barrier opened: no host took traffic from the new containers yet.
        _abandon(ctx, role, booted)
        raise ctx.cancel.error()
    # Past the barrier the role finishes (or switches back) even when a stop is requested: the
    # new containers take traffic now, and half a switch would leave two versions serving.
    with ctx.cancel.shield():
        _switch_role(ctx, plan, role, switch_back)

        def retire(step: HostStep) -> None:
            hostops.drain_old(ctx, plan, step)
            audit = audits.get(step.host)
            if booting.retire_old(ctx, step.host, step.retire, audit):
                audited.add(step.host)

        _each_role_host(ctx, role, f"{role.role}: drain and stop old", retire)
    return [s.host for s in role.hosts]


def _switch_role(ctx: Context, plan: DeployPlan, role: RolePlan, switch_back: bool) -> None:
    """Switch every host of the role; if one fails, switch the others back (unless told not to)."""
    previous: dict[str, bytes | None] = {}

    def one(host: str) -> None:
        step = _step_for(role.hosts, host)
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
        step = _step_for(role.hosts, host)
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
        hostops.timed(ctx, host, what, lambda: action(_step_for(role.hosts, host)))

    hostops.fan_out(ctx, [s.host for s in role.hosts], one).raise_for_failures()


def _step_for(steps: tuple[HostStep, ...], host: str) -> HostStep:
    return next(s for s in steps if s.host == host)


def _boot_batch(
    ctx: Context,
    plan: DeployPlan,
    batch: tuple[HostStep, ...],
    booted: list[HostStep],
    extras: Extras,
    audits: Mapping[str, Argv],
    audited: set[str],
) -> None:
    def one(host: str) -> None:
        step = _step_for(batch, host)
        if step.boot.ready is not None:  # no proxy: ready, then it replaces the old one at once
            what = f"{step.role}: boot {step.container}, ready, stop old"
        else:
            what = f"{step.role}: boot {step.container}"
        boot = partial(booting.boot, ctx, plan, step, extras, audits.get(host))
        outcome = hostops.timed(ctx, host, what, boot)
        if outcome.outcome == "boot":
            booted.append(step)
        if outcome.audited:
            audited.add(host)
        if step.health is not None:
            hostops.timed(
                ctx,
                host,
                f"{step.role}: healthy {step.container}",
                lambda: booting.wait_healthy(ctx, plan, step),
            )

    results = hostops.fan_out(ctx, [s.host for s in batch], one)
    if results.ok:
        return
    ctx.cancel.check()  # stopped by a signal: Interrupted, not a failed release
    failed = [_step_for(batch, h) for h in results.failed]
    report = [HostsFailed({h: results.errors[h] for h in results.failed}).message]
    report += [hostops.diagnostics(ctx, s) for s in failed]
    raise DeployFailed(
        "\n".join(report),
        hint="the previous version keeps serving; fix the release and deploy again",
    )


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
