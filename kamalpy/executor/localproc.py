"""Facts about processes on this machine, read from /proc: who we are, whether a pid still runs.

A pid alone is reused; a pid with its start time (clock ticks since boot) names one process for
the life of a boot, which is what a lock holder and a dead run's socket directory record.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessId:
    """One process on one machine for the life of one boot."""

    machine: str
    pid: int
    started: str
    boot_id: str
    pid_namespace: str


def start_time(pid: int, proc: Path = _PROC) -> str | None:
    """The process's start time (field 22 of /proc/PID/stat), or None when it does not exist."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def running(pid: int, started: str, proc: Path = _PROC) -> bool:
    """True while the process `pid` that started at `started` still exists (zombies count)."""
    return start_time(pid, proc) == started


def this_process(proc: Path = _PROC) -> ProcessId:
    """This process's identity: host name, pid, start time, boot id and pid namespace."""
    pid = os.getpid()
    try:
        boot_id = (proc / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot_id = "unknown"
    try:
        namespace = os.readlink(proc / "self/ns/pid")
    except OSError:
        namespace = "unknown"
    return ProcessId(
        machine=socket.gethostname(),
        pid=pid,
        started=start_time(pid, proc) or "unknown",
        boot_id=boot_id,
        pid_namespace=namespace.removeprefix("pid:").strip("[]"),
    )
