"""The lock's shell scripts, run for real by `sh` in a scratch home (no bed needed)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from kamalpy.commands import lock

MINE = lock.details_text(performer="ann", recorded_at="T1", version="v2", message="deploy v2")
THEIRS = lock.details_text(performer="bob", recorded_at="T0", version="v1", message="deploy v1")


def sh(home: Path, argv: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=home, capture_output=True, text=True, timeout=30, check=False)


def test_takeover_replaces_only_the_lock_judged_stale(tmp_path: Path) -> None:
    assert sh(tmp_path, lock.acquire_argv("hey", None, THEIRS)).returncode == 0
    assert sh(tmp_path, lock.acquire_argv("hey", None, MINE)).returncode == 1  # held
    seen = lock.parse_inspect(sh(tmp_path, lock.inspect_argv("hey", None)).stdout)
    assert seen.details == THEIRS and seen.heartbeat_age is not None
    # It changed hands after we judged it stale: the takeover must leave it alone.
    changed = lock.encode("Locked by: carol at T2")
    assert sh(tmp_path, lock.takeover_argv("hey", None, MINE, changed)).returncode == 1
    # The stored details are compared, not the heartbeat's age: a second may tick over between.
    now = lock.parse_inspect(sh(tmp_path, lock.inspect_argv("hey", None)).stdout)
    assert now.stored == seen.stored
    assert sh(tmp_path, lock.takeover_argv("hey", None, MINE, seen.stored)).returncode == 0
    status = sh(tmp_path, lock.status_argv("hey", None)).stdout
    assert status.startswith(MINE + "\n") and re.search(r"Heartbeat: [0-9]s ago", status)
    assert not (tmp_path / ".kamal/lock-hey.takeover").exists()


def test_kamals_own_status_command_reads_our_details(tmp_path: Path) -> None:
    sh(tmp_path, lock.acquire_argv("hey", None, MINE))
    kamal = "stat .kamal/lock-hey > /dev/null && cat .kamal/lock-hey/details | base64 -d"
    assert sh(tmp_path, ("sh", "-c", kamal)).stdout.rstrip("\n") == MINE


def test_heartbeat_and_release_touch_only_our_own_lock(tmp_path: Path) -> None:
    sh(tmp_path, lock.acquire_argv("hey", None, THEIRS))
    assert sh(tmp_path, lock.heartbeat_argv("hey", None, MINE)).returncode != 0
    sh(tmp_path, lock.release_own_argv("hey", None, MINE))
    assert (tmp_path / ".kamal/lock-hey").is_dir()  # not ours: kept
    assert sh(tmp_path, lock.heartbeat_argv("hey", None, THEIRS)).returncode == 0
    assert sh(tmp_path, lock.release_argv("hey", None)).stdout == "released\n"
    assert sh(tmp_path, lock.release_argv("hey", None)).stdout == "none\n"
    assert sh(tmp_path, lock.status_argv("hey", None)).returncode == 1


def test_a_killed_takeovers_guard_is_cleared_after_a_minute(tmp_path: Path) -> None:
    sh(tmp_path, lock.acquire_argv("hey", None, THEIRS))
    guard = tmp_path / ".kamal/lock-hey.takeover"
    guard.mkdir()
    stored = lock.encode(THEIRS)
    assert sh(tmp_path, lock.takeover_argv("hey", None, MINE, stored)).returncode == 1
    subprocess.run(["touch", "-d", "2 minutes ago", str(guard)], check=True)
    assert sh(tmp_path, lock.takeover_argv("hey", None, MINE, stored)).returncode == 0
