"""Readiness of a role without a proxy, timed by the context's injected clock, not the real one."""

from __future__ import annotations

import pytest

from kamalpy.cli.output import Console
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.errors import DeployFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import DeployPlan, HostStep, deploy_plan
from tests.unit.deploy.sample import sample_config


class StepClock:
    """A clock on which every command takes one second; notes when each one started."""

    def __init__(self) -> None:
        self.now = 0.0
        self.ran_at: list[float] = []

    def __call__(self) -> float:
        return self.now

    def on_command(self, host: str, argv: tuple[str, ...]) -> None:
        self.ran_at.append(self.now)
        self.now += 1.0


def worker(delay: int) -> tuple[Context, DeployPlan, HostStep, RecordingExecutor, StepClock]:
    clock = StepClock()
    executor = RecordingExecutor(on_command=clock.on_command)
    ctx = Context(
        config=sample_config(), executor=executor, console=Console(), clock=clock,
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=False, secrets={},
    )  # fmt: skip
    plan = deploy_plan(ctx.config)
    object.__setattr__(plan, "readiness_delay", delay)
    step = next(s for role in plan.roles if not role.proxied for s in role.hosts)
    return ctx, plan, step, executor, clock


def test_a_worker_without_healthcheck_is_ready_only_once_the_delay_has_passed() -> None:
    ctx, plan, step, executor, clock = worker(2)
    executor.respond(step.state, stdout="running none 0")
    hostops.wait_healthy(ctx, plan, step)
    assert [c.argv for c in executor.calls] == [step.state] * 2
    # The check at 0 s answers at 1 s (too early); the one at 1 s answers at 2 s: the delay.
    assert clock.ran_at == [0.0, 1.0] and clock.now == 2.0


def test_a_worker_that_dies_during_the_delay_fails_at_the_next_check() -> None:
    ctx, plan, step, executor, clock = worker(8)
    executor.respond(step.state, stdout="running none 0", times=2)
    executor.respond(step.state, stdout="exited none 1")
    with pytest.raises(DeployFailed, match="stopped: exited none 1"):
        hostops.wait_healthy(ctx, plan, step)
    assert clock.ran_at == [0.0, 1.0, 2.0]  # not after the 8 s delay
