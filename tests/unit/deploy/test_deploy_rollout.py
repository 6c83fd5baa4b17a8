"""The deploy walks boot batches one after another, waiting boot.wait between them."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kamalpy.cli.output import Console
from kamalpy.commands.boot_script import SCRIPT
from kamalpy.config.model import Boot, Configuration
from kamalpy.deploy import deploy as deploy_module
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.executor.cancel import Cancellation
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import deploy_plan
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import HOSTS, sample_config


def workers_only(boot: Boot) -> Configuration:
    """One unproxied role on the three hosts: ready as soon as it runs (no delay)."""
    base = sample_config()
    workers = dataclasses.replace(base.roles[1], hosts=HOSTS)
    return dataclasses.replace(
        base, roles=(workers,), primary_role="workers", boot=boot, readiness_delay=0
    )


class RecordingCancel(Cancellation):
    """The run's cancellation, noting each pause instead of taking it (never cancelled)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return False


def run_deploy(
    config: Configuration, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[str, ...]], list[float], RecordingExecutor]:
    """Deploy for real against a recording executor: host groups fanned out, pauses taken."""
    fanned: list[tuple[str, ...]] = []
    cancel = RecordingCancel()
    real_fan_out = hostops.fan_out

    def fan_out(ctx: Context, hosts: Sequence[str], action: Callable[[str], Any]) -> Any:
        fanned.append(tuple(hosts))
        return real_fan_out(ctx, hosts, action)

    monkeypatch.setattr(hostops, "fan_out", fan_out)
    executor = RecordingExecutor()
    ticks = itertools.count()
    ctx = Context(
        config=config, executor=executor, console=Console(), clock=lambda: float(next(ticks)),
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=False, cancel=cancel,
        secrets={"DB_PASSWORD": Sensitive("s")},
    )  # fmt: skip
    # Each boot waits host-side until ready, then retires the old and appends the audit line.
    executor.respond(("bash", "-c", SCRIPT), stdout="boot\nready\nthen 0 0\nthen 1 0\n")
    deploy_module.deploy(ctx, deploy_plan(config))
    return fanned, cancel.waits, executor


def boot_order(executor: RecordingExecutor) -> list[str]:
    """The host of each boot (with its readiness wait), in the order they ran."""
    return [call.target for call in executor.calls if "kamalpy-boot" in call.argv]


def test_boot_limit_one_boots_host_after_host_waiting_boot_wait_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fanned, pauses, executor = run_deploy(workers_only(Boot(limit=1, wait=7)), monkeypatch)
    # besides the steps every host takes together, the three batches one after another
    assert [hosts for hosts in fanned if hosts != HOSTS] == [HOSTS[:1], HOSTS[1:2], HOSTS[2:]]
    assert pauses == [7, 7]  # between the batches, not before the first
    assert boot_order(executor) == list(HOSTS)
    # After preparing (preflight and network), one round trip per host: the boot, readiness,
    # retire and audit line all in it.
    assert all(len(executor.commands_for(h)) == 2 for h in HOSTS[1:]), executor.calls


def test_without_boot_wait_batches_follow_each_other_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fanned, pauses, _ = run_deploy(workers_only(Boot(limit=2)), monkeypatch)
    assert [hosts for hosts in fanned if hosts != HOSTS] == [HOSTS[:2], HOSTS[2:]]
    assert pauses == []


def test_without_boot_limit_every_host_boots_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    fanned, pauses, _ = run_deploy(workers_only(Boot(wait=7)), monkeypatch)
    assert fanned and all(hosts == HOSTS for hosts in fanned)
    assert pauses == []
