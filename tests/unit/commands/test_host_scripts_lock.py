"""The lock's takeover and heartbeat scripts run for real in a scratch home with the basic tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kamalpy.commands import lock
from tests.support.hostsh import HostShell

MINE = lock.details_text(performer="ann", recorded_at="T1", version="v2", message="deploy v2")
THEIRS = lock.details_text(performer="bob", recorded_at="T0", version="v1", message="deploy v1")
LONG_AGO = 1_000_000_000  # an mtime in 2001: whatever the clock says now, this is older


@pytest.fixture
def host(tmp_path: Path) -> HostShell:
    return HostShell(tmp_path)


def _held(host: HostShell, details: str) -> Path:
    """A lock held with `details`, its heartbeat last touched long ago."""
    assert host.run(lock.acquire_argv("hey", None, details)).returncode == 0
    directory = host.home / ".kamal/lock-hey"
    os.utime(directory / "heartbeat", (LONG_AGO, LONG_AGO))
    return directory


def _stored(directory: Path) -> str:
    return (directory / "details").read_text()


def _age_guard(guard: Path, seconds: int) -> None:
    """Make the takeover guard look `seconds` old next to a file touched now."""
    now = _host_now(guard.parent)
    os.utime(guard, (now - seconds, now - seconds))


def _host_now(directory: Path) -> float:
    """The filesystem's now (the clock find compares against), read from a file touched now."""
    probe = directory / ".now"
    probe.touch()
    now = probe.stat().st_mtime
    probe.unlink()
    return now


def test_heartbeat_touches_only_while_the_lock_is_ours(host: HostShell) -> None:
    directory = _held(host, MINE)
    assert host.run(lock.heartbeat_argv("hey", None, MINE)).returncode == 0
    assert (directory / "heartbeat").stat().st_mtime > LONG_AGO
    os.utime(directory / "heartbeat", (LONG_AGO, LONG_AGO))
    assert host.run(lock.heartbeat_argv("hey", None, THEIRS)).returncode == 1
    assert (directory / "heartbeat").stat().st_mtime == LONG_AGO
    assert _stored(directory) == lock.encode(MINE) + "\n"


def test_heartbeat_without_a_lock_fails_and_creates_nothing(host: HostShell) -> None:
    assert host.run(lock.heartbeat_argv("hey", None, MINE)).returncode == 1
    assert not (host.home / ".kamal/lock-hey").exists()


def test_takeover_replaces_the_lock_judged_stale_with_ours(host: HostShell) -> None:
    directory = _held(host, THEIRS)
    done = host.run(lock.takeover_argv("hey", None, MINE, lock.encode(THEIRS)))
    assert done.returncode == 0, done.stderr
    assert _stored(directory) == lock.encode(MINE) + "\n"
    assert (directory / "heartbeat").stat().st_mtime > LONG_AGO  # a fresh heartbeat
    assert sorted(p.name for p in (host.home / ".kamal").iterdir()) == ["lock-hey"]  # no guard


def test_takeover_leaves_a_lock_that_changed_hands_alone(host: HostShell) -> None:
    directory = _held(host, "Locked by: carol at T2")
    done = host.run(lock.takeover_argv("hey", None, MINE, lock.encode(THEIRS)))
    assert done.returncode == 1
    assert _stored(directory) == lock.encode("Locked by: carol at T2") + "\n"
    assert (directory / "heartbeat").stat().st_mtime == LONG_AGO
    assert not (host.home / ".kamal/lock-hey.takeover").exists()


def test_takeover_of_a_lock_released_meanwhile_simply_takes_it(host: HostShell) -> None:
    done = host.run(lock.takeover_argv("hey", "prod", MINE, lock.encode(THEIRS)))
    assert done.returncode == 0, done.stderr
    assert _stored(host.home / ".kamal/lock-hey-prod") == lock.encode(MINE) + "\n"


@pytest.mark.parametrize(("age", "taken"), [(0, False), (30, False), (150, True), (3600, True)])
def test_a_takeover_in_progress_blocks_another_until_its_guard_is_a_minute_old(
    host: HostShell, age: int, taken: bool
) -> None:
    directory = _held(host, THEIRS)
    guard = host.home / ".kamal/lock-hey.takeover"
    guard.mkdir()
    _age_guard(guard, age)
    done = host.run(lock.takeover_argv("hey", None, MINE, lock.encode(THEIRS)))
    assert done.returncode == (0 if taken else 1)
    assert _stored(directory) == lock.encode(MINE if taken else THEIRS) + "\n"
    assert guard.exists() is not taken  # a live guard is the other takeover's: never removed


def test_an_old_guard_of_another_lock_is_not_cleared(host: HostShell) -> None:
    _held(host, THEIRS)
    other = host.home / ".kamal/lock-hey-prod.takeover"
    other.mkdir()
    _age_guard(other, 3600)
    assert host.run(lock.takeover_argv("hey", None, MINE, lock.encode(THEIRS))).returncode == 0
    assert other.is_dir()


def test_release_removes_whoever_s_lock_and_says_so(host: HostShell) -> None:
    directory = _held(host, THEIRS)
    done = host.run(lock.release_argv("hey", None))
    assert (done.returncode, done.stdout) == (0, "released\n")
    assert not directory.exists()
    assert host.run(lock.release_argv("hey", None)).stdout == "none\n"
