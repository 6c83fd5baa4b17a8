from __future__ import annotations

import threading
import time

import pytest

from kamalpy.errors import CommandFailed, ExitCode, HostUnreachable, LockHeldError
from kamalpy.executor.base import Target
from kamalpy.executor.fanout import HostsFailed, on_hosts

HOSTS = [Target("h1"), Target("h2"), Target("h3")]


def test_results_per_host_in_the_order_given() -> None:
    results = on_hosts(HOSTS, lambda t: t.name.upper())
    assert results.ok
    assert list(results) == ["h1", "h2", "h3"]
    assert [results[h] for h in results] == ["H1", "H2", "H3"]


def test_errors_are_kept_per_host_and_reraised_on_access() -> None:
    def action(target: Target) -> str:
        if target.name == "h2":
            raise HostUnreachable("h2", "Connection refused")
        return "ok"

    results = on_hosts(HOSTS, action)
    assert results.succeeded == ["h1", "h3"] and results.failed == ["h2"]
    with pytest.raises(HostUnreachable):
        results["h2"]


def test_raise_for_failures_names_every_failed_host() -> None:
    def action(target: Target) -> None:
        if target.name != "h1":
            raise CommandFailed(host=target.name, command="docker pull x", exit_status=1)

    with pytest.raises(HostsFailed) as failure:
        on_hosts(HOSTS, action).raise_for_failures()
    text = failure.value.render()
    assert "2 host(s) failed: h2, h3" in text
    assert "h2: command exited 1: docker pull x" in text
    assert "h3: command exited 1: docker pull x" in text


def test_a_bug_on_one_host_is_reported_not_hidden() -> None:
    def action(target: Target) -> None:
        raise ZeroDivisionError("boom")

    with pytest.raises(HostsFailed, match="h1: internal error: ZeroDivisionError: boom") as failure:
        on_hosts(HOSTS[:1], action).raise_for_failures()
    assert isinstance(failure.value.__cause__, ZeroDivisionError)


def test_exit_code_is_the_most_severe_of_the_hosts() -> None:
    def action(target: Target) -> None:
        if target.name == "h1":
            raise LockHeldError("locked by ann")
        raise CommandFailed(host=target.name, command="x", exit_status=1)

    with pytest.raises(HostsFailed) as failure:
        on_hosts(HOSTS, action).raise_for_failures()
    assert failure.value.exit_code == ExitCode.LOCK_HELD


def test_limit_bounds_how_many_hosts_run_at_once() -> None:
    running = peak = 0
    lock = threading.Lock()

    def action(target: Target) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    on_hosts([Target(f"h{i}") for i in range(6)], action, limit=2).raise_for_failures()
    assert peak == 2


def test_hosts_run_in_parallel_without_a_limit() -> None:
    barrier = threading.Barrier(3, timeout=5)
    on_hosts(HOSTS, lambda t: barrier.wait()).raise_for_failures()


def test_same_name_with_different_settings_is_refused() -> None:
    from kamalpy.commands.ssh import SshSettings

    with pytest.raises(ValueError, match="same host"):
        on_hosts([Target("h1"), Target("h1", SshSettings(port=2))], lambda t: None)


def test_no_targets_no_results() -> None:
    assert on_hosts([], lambda t: 1).ok
