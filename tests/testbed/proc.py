"""Process plumbing for the bed: run a tool, start a daemon, stop a pid safely."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class BedError(RuntimeError):
    """The bed could not be brought up or torn down; the message says what and where."""


def run(argv: Sequence[str], *, input: bytes | None = None, check: bool = True) -> str:
    """Run a short tool, return its stdout; on failure raise with its stderr."""
    done = subprocess.run(
        list(argv),
        input=input if input is not None else b"",
        capture_output=True,
        check=False,
        timeout=600,
    )
    if check and done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()[-2000:]
        raise BedError(f"{' '.join(argv)} exited {done.returncode}: {err}")
    return done.stdout.decode(errors="replace")


def spawn(argv: Sequence[str], log: Path) -> int:
    """Start a daemon in its own session (Ctrl-C reaches only us) logging to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return child.pid


def start_time(pid: int) -> int | None:
    """Kernel start time of `pid` (tells a pid from a later reuse), None when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        _reap(pid)
        return None
    return int(fields[19])


def _reap(pid: int) -> None:
    """Collect a zombie if it is our child (daemons spawned by this process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def alive(pid: int, started: int | None) -> bool:
    """True when `pid` still runs and is the same process that was recorded."""
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `check` until true or `timeout` seconds pass; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def stop(pids: Sequence[tuple[int, int | None]], grace: float) -> list[int]:
    """SIGTERM each (pid, start), SIGKILL what is left after `grace` s; return the killed."""
    targets = [(pid, started) for pid, started in pids if alive(pid, started)]
    for pid, _ in targets:
        _signal(pid, signal.SIGTERM)
    wait_until(lambda: not any(alive(p, s) for p, s in targets), grace)
    killed = [pid for pid, started in targets if alive(pid, started)]
    for pid in killed:
        _signal(pid, signal.SIGKILL)
    wait_until(lambda: not any(alive(p, s) for p, s in targets), 5)
    return killed


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def cmdline(pid: int) -> str:
    """The command line of `pid` with spaces for NULs, "" when gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def all_pids() -> list[int]:
    """Every pid currently in /proc."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
