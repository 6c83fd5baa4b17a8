"""Private directories for ssh control sockets: one per run, and those of dead runs swept away.

A run killed with SIGKILL cannot remove its directory, so each one is named after its owner
(`kp-ssh-<pid>-<random>`) and records the owner's start time; the next run removes every such
directory whose owner is gone, after asking any master still listening there to exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from kamalpy.executor import localproc
from kamalpy.executor.process import ProcessRunner

PREFIX = "kp-ssh-"
_OWNER = "owner"
# Short: unix socket paths cap at ~108 bytes and ssh's %C adds 40.
ROOT = Path("/tmp")


def create(root: Path = ROOT) -> str:
    """A new 0700 directory for this run's sockets, marked with this process as its owner."""
    me = localproc.this_process()
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{me.pid}-", dir=root)
    (Path(path) / _OWNER).write_text(f"{me.pid} {me.started}\n")
    return path


def dead(root: Path = ROOT) -> list[Path]:
    """Our socket directories whose owning process no longer runs."""
    found = []
    uid = os.getuid()
    for path in root.glob(f"{PREFIX}*-*"):
        try:
            if path.stat().st_uid != uid or not path.is_dir():
                continue
            pid, started = (path / _OWNER).read_text().split()
        except (OSError, ValueError):
            continue  # not ours, not finished being created, or from an older kamalpy
        if not localproc.running(int(pid), started):
            found.append(path)
    return found


def sweep(runner: ProcessRunner, root: Path = ROOT) -> list[Path]:
    """Stop masters left in dead runs' directories and remove those directories."""
    removed = []
    for path in dead(root):
        for socket in path.iterdir():
            if socket.is_socket():
                # -S names the master directly; the host argument is required but unused.
                runner(("ssh", "-S", str(socket), "-O", "exit", "kamalpy-sweep"), timeout=5)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
