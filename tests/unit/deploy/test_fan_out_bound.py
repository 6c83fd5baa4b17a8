"""A step works on `x-kamalpy.parallel_hosts` hosts at once, not on sshkit's connection bound."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from kamalpy.cli.output import Console
from kamalpy.config.sections import KamalpyExtras, Sshkit
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.executor.cancel import Cancellation
from kamalpy.executor.recording import RecordingExecutor
from tests.unit.deploy.sample import sample_config

HOSTS = [f"h{n}" for n in range(12)]


def most_at_once(parallel_hosts: int, max_concurrent_starts: int, expected: int) -> int:
    """Fan an action out to 12 hosts and return how many ran at the same time at most."""
    config = dataclasses.replace(
        sample_config(),
        sshkit=Sshkit(max_concurrent_starts=max_concurrent_starts),
        extras=KamalpyExtras(parallel_hosts=parallel_hosts),
    )
    ctx = Context(
        config=config, executor=RecordingExecutor(), console=Console(), clock=time.monotonic,
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=False,
        cancel=Cancellation(), secrets={},
    )  # fmt: skip
    lock = threading.Lock()
    # Each group of `expected` workers meets before leaving: a lower bound times the barrier out.
    together = threading.Barrier(expected, timeout=30)
    running = [0]
    peak = [0]

    def action(host: str) -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        together.wait()
        time.sleep(0.01)  # a bound higher than expected lets more in meanwhile
        with lock:
            running[0] -= 1
        return host

    results = hostops.fan_out(ctx, HOSTS, action)
    assert sorted(results.results) == sorted(HOSTS)
    return peak[0]


@pytest.mark.parametrize(
    ("parallel_hosts", "max_concurrent_starts", "expected"),
    [(12, 1, 12), (3, 30, 3), (1, 30, 1)],
)
def test_a_step_runs_on_parallel_hosts_at_once(
    parallel_hosts: int, max_concurrent_starts: int, expected: int
) -> None:
    assert most_at_once(parallel_hosts, max_concurrent_starts, expected) == expected
