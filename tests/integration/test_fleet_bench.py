"""The fleet bench at CI size: 20 light hosts, one ssh connection each, every deploy succeeds.

Times are reported, never asserted (bench/ numbers depend on the machine and its load); the
100-host numbers are in docs/deploy.md.
"""

from __future__ import annotations

import os

from bench import fleet
from tests.testbed import cleanup

HOSTS = 20


def test_twenty_light_hosts_deploy_over_one_connection_each() -> None:
    prefix = f"kfci{os.getpid() % 10000}"
    hosts = fleet.up(HOSTS, prefix)
    try:
        report = fleet.measure(hosts, rounds=1, fan_out=30)
    finally:
        problems = fleet.lifecycle.down(prefix)
    assert problems == [] and cleanup.leftovers(prefix) == []
    best = report["best_by_size"]
    assert isinstance(best, dict) and sorted(best, key=int) == ["1", "10", "20"]
    for size, sample in best.items():
        assert sample["max_sessions_on_a_host"] == 1, (size, sample)
        assert sample["sessions_per_host"] == 1.0, (size, sample)
        # Both roles booted and the old containers were stopped on every host.
        assert sample["docker_calls_per_host"] >= 10, (size, sample)
    assert sorted(report["floor_seconds_by_size"], key=int) == ["1", "10", "20"]  # type: ignore[call-overload]
    print(f"fleet bench at {HOSTS} hosts: {report['best_by_size']}")
