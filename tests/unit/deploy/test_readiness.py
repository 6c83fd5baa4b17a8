"""Readiness of a role without a proxy: the host waits, this side reads its verdicts."""

from __future__ import annotations

import dataclasses

import pytest

from kamalpy.cli.output import Console
from kamalpy.commands import boot_script
from kamalpy.commands.boot_script import Readiness
from kamalpy.deploy import booting
from kamalpy.deploy.booting import Extras
from kamalpy.deploy.context import Context
from kamalpy.errors import CommandFailed, DeployFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import DeployPlan, HostStep, deploy_plan
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import sample_config

AUDIT = ("sh", "-c", "audit")


def worker(delay: int = 8) -> tuple[Context, DeployPlan, HostStep, RecordingExecutor]:
    executor = RecordingExecutor()
    ctx = Context(
        config=sample_config(), executor=executor, console=Console(), clock=lambda: 0.0,
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=False,
        secrets={"DB_PASSWORD": Sensitive("s3cret")},
    )  # fmt: skip
    plan = deploy_plan(ctx.config)
    step = next(s for role in plan.roles if not role.proxied for s in role.hosts)
    ready = Readiness(delay, 30)
    step = dataclasses.replace(step, boot=dataclasses.replace(step.boot, ready=ready))
    return ctx, plan, step, executor


def _answers(executor: RecordingExecutor, *stdouts: str) -> None:
    for stdout in stdouts:
        executor.respond(("bash", "-c", boot_script.SCRIPT), stdout=stdout, times=1)


def test_one_round_trip_boots_writes_the_env_file_waits_retires_and_audits() -> None:
    ctx, plan, step, executor = worker()
    _answers(executor, "boot\nready\nthen 0 0\nthen 1 0\n")
    booted = booting.boot(ctx, plan, step, Extras(), AUDIT)
    assert booted == booting.Booted("boot", audited=True)
    (call,) = executor.calls
    assert call.argv == boot_script.boot_argv(step.boot, env_file=step.env_file, audit=AUDIT)
    assert "s3cret" not in " ".join(call.argv)  # the env file's body went through stdin


def test_a_pending_wait_is_resumed_with_what_is_left_of_the_delay_and_limit() -> None:
    ctx, plan, step, executor = worker(delay=8)
    _answers(executor, "boot\npending 10000\n", "pending 10000\n", "ready\nthen 0 0\n")
    booting.boot(ctx, plan, step, Extras(env_files=False))
    first, second, third = (c.argv for c in executor.calls)
    assert first == boot_script.boot_argv(step.boot)
    left = Readiness(0, 20)
    assert second == boot_script.boot_argv(step.boot, resume=True, ready=left)
    assert third == boot_script.boot_argv(step.boot, resume=True, ready=Readiness(0, 10))


def test_a_container_that_stops_fails_the_release_naming_its_state() -> None:
    ctx, plan, step, executor = worker()
    _answers(executor, "boot\nstopped exited none 1\n")
    with pytest.raises(DeployFailed, match="stopped: exited none 1") as failure:
        booting.boot(ctx, plan, step, Extras())
    assert failure.value.message.startswith(f"{step.host}: {step.container} stopped")


def test_never_ready_says_so_with_the_deploy_timeout() -> None:
    ctx, plan, step, executor = worker()
    _answers(executor, "boot\ntimeout\n")
    with pytest.raises(DeployFailed) as failure:
        booting.boot(ctx, plan, step, Extras())
    assert failure.value.message == (
        f"{step.host}: {step.container} did not become healthy within "
        f"{plan.deploy_timeout}s\n    (no health check completed)"
    )


def test_a_failed_retire_is_reported_as_the_retire_command() -> None:
    ctx, plan, step, executor = worker()
    executor.respond(("bash", "-c", boot_script.SCRIPT), stdout="boot\nready\nthen 0 1\n",
                     stderr="Error response from daemon: cannot stop\n")  # fmt: skip
    with pytest.raises(CommandFailed) as failure:
        booting.boot(ctx, plan, step, Extras(), AUDIT)
    assert failure.value.exit_status == 1
    assert "cannot stop" in failure.value.render()
    assert "kamalpy-retire" in failure.value.render()


def test_a_failed_audit_line_warns_and_the_release_stands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx, plan, step, executor = worker()
    executor.respond(("bash", "-c", boot_script.SCRIPT), stdout="boot\nready\nthen 0 0\nthen 1 1\n",
                     stderr="disk full\n")  # fmt: skip
    assert booting.boot(ctx, plan, step, Extras(), AUDIT).audited
    assert f"audit log not written on {step.host}: disk full" in capsys.readouterr().err


def test_a_failed_boot_raises_with_the_boot_s_status() -> None:
    ctx, plan, step, executor = worker()
    executor.respond(("bash", "-c"), stdout="boot\n", stderr="Conflict", exit_status=125)
    with pytest.raises(CommandFailed) as failure:
        booting.boot(ctx, plan, step, Extras())
    assert failure.value.exit_status == 125 and "Conflict" in failure.value.render()
