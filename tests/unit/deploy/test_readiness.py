from __future__ import annotations

import time

import pytest

from kamalpy.cli.output import Console
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.errors import DeployFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import DeployPlan, HostStep, deploy_plan
from tests.unit.deploy.sample import sample_config


def worker(delay: int) -> tuple[Context, DeployPlan, HostStep, RecordingExecutor]:
    executor = RecordingExecutor()
    ctx = Context(
        config=sample_config(), executor=executor, console=Console(), clock=time.monotonic,
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=False, secrets={},
    )  # fmt: skip
    plan = deploy_plan(ctx.config)
    object.__setattr__(plan, "readiness_delay", delay)
    step = next(s for role in plan.roles if not role.proxied for s in role.hosts)
    return ctx, plan, step, executor


def test_a_worker_without_healthcheck_is_ready_after_the_delay_with_few_checks() -> None:
    ctx, plan, step, executor = worker(2)
    executor.respond(step.state, stdout="running none 0")
    started = time.monotonic()
    hostops.wait_healthy(ctx, plan, step)
    assert time.monotonic() - started >= 2
    checks = [c for c in executor.calls if c.argv == step.state]
    assert len(checks) <= 6  # every 0.5 s for a 2 s delay, then once after the last stretch


def test_a_worker_that_dies_during_the_delay_fails_before_the_delay_ends() -> None:
    ctx, plan, step, executor = worker(8)
    executor.respond(step.state, stdout="running none 0", times=2)
    executor.respond(step.state, stdout="exited none 1")
    started = time.monotonic()
    with pytest.raises(DeployFailed, match="stopped: exited none 1"):
        hostops.wait_healthy(ctx, plan, step)
    assert time.monotonic() - started < 6
