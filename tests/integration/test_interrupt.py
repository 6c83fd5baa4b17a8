"""Interrupted or killed runs leave nothing behind, and the next bring-up starts clean."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.testbed import BedSpec, cleanup, lifecycle, proc
from tests.testbed.spec import run_dir
from tests.testbed.state import all_states

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _python(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_state(prefix: str, key: str, timeout: float = 60) -> dict[str, object]:
    """Poll the state file of `prefix` until `key` is filled (e.g. "bed", "processes")."""
    path = run_dir(prefix) / "state.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data: dict[str, object] = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        if data.get(key):
            return data
        time.sleep(0.01)
    raise AssertionError(f"bed {prefix} never recorded {key!r}")


def _finish(child: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    out, _ = child.communicate(timeout=timeout)
    return child.returncode, out


def _unique(stem: str) -> str:
    return f"{stem}{os.getpid() % 100000}"


@pytest.mark.parametrize("moment", ["processes", "bed"])
def test_sigint_during_or_after_bring_up_removes_everything(moment: str) -> None:
    prefix = _unique("kqi")
    child = _python("-m", "tests.testbed", "up", "--foreground", "--prefix", prefix, "--hosts", "2")
    _wait_for_state(prefix, moment)
    child.send_signal(signal.SIGINT)
    code, out = _finish(child)
    assert code == 130, out
    assert cleanup.leftovers(prefix) == [], out


def test_killed_bed_is_removed_by_the_next_bring_up() -> None:
    dead, fresh = _unique("kqk"), _unique("kqn")
    child = _python("-m", "tests.testbed", "up", "--foreground", "--prefix", dead, "--hosts", "2")
    _wait_for_state(dead, "bed")
    child.kill()  # SIGKILL: no teardown runs; daemons live on in their own sessions
    _finish(child)
    assert any(item.startswith("process") for item in cleanup.leftovers(dead))
    try:
        lifecycle.up(BedSpec(prefix=fresh, hosts=1), owner_pid=os.getpid())
        assert cleanup.leftovers(dead) == []
        assert fresh in {state.prefix for state in all_states()}
    finally:
        assert lifecycle.down(fresh) == []
    assert cleanup.leftovers(fresh) == []


def test_killed_bed_with_the_same_prefix_is_replaced_cleanly() -> None:
    prefix = _unique("kqr")
    child = _python("-m", "tests.testbed", "up", "--prefix", prefix, "--hosts", "1")
    assert _finish(child)[0] == 0  # a hand-run bed: it stays up after `up` returns
    state = json.loads((run_dir(prefix) / "state.json").read_text())
    old = [(p["pid"], p["start"]) for p in state["processes"]]
    child = _python("-m", "tests.testbed", "up", "--prefix", prefix, "--hosts", "1")
    code, out = _finish(child)
    assert code == 0, out
    try:
        assert [pid for pid, start in old if proc.alive(pid, start)] == []
    finally:
        assert lifecycle.down(prefix) == []
    assert cleanup.leftovers(prefix) == []


@pytest.mark.parametrize(
    "signals",
    [[signal.SIGINT], [signal.SIGTERM], [signal.SIGINT, signal.SIGINT, signal.SIGTERM]],
    ids=["sigint", "sigterm", "repeated"],
)
def test_interrupted_pytest_run_removes_its_bed(signals: list[int]) -> None:
    target = "tests/integration/interrupt_target.py"
    child = _python("-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", target)
    prefix = ""
    assert child.stdout is not None
    for line in child.stdout:  # the child prints BED-UP <prefix> once its bed is up
        if line.startswith("BED-UP "):
            prefix = line.split()[1]
            break
    assert prefix, "child pytest never brought its bed up"
    for signum in signals:  # repeats must not cut the teardown short
        child.send_signal(signum)
        time.sleep(0.05)
    code, out = _finish(child)
    assert code == pytest.ExitCode.INTERRUPTED, out
    assert cleanup.leftovers(prefix) == [], out
