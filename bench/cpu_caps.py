"""CPU caps that make the bed's hosts behave like separate servers, for the deploy benchmark.

The bed's hosts share this machine's cores: a 3-host deploy makes three dockerds start and stop
containers on the same 2 CPUs, so its time grows with the host count for any tool (a bare
`docker run` over ssh grows ~1.6x from 1 to 3 hosts). With caps, each host (its sshd, dockerd,
containerd, shims and containers) gets a fixed CPU share, and so does the deploying machine
(the tool and its ssh clients): adding a host then adds a machine, not contention, and the 3/1
ratio measures the tool's own fan-out.

cgroup v1 (`cpu` hierarchy) and v2 (`cpu.max`) are both handled. Host groups are the bed's
per-host cgroup parents, which the bed's teardown removes; the local group is removed here.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.testbed import Bed

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000  # short periods: a throttled burst waits at most a few ms


class CapsUnavailable(RuntimeError):
    """This machine offers no cgroup cpu controller we can write to."""


@dataclass(frozen=True)
class CpuCaps:
    """What was capped: one group per host and one for the deploying tool."""

    host_share: float
    local_share: float
    local_procs: Path

    def local_argv(self, argv: Sequence[str]) -> list[str]:
        """`argv` started inside the deploying machine's group (children inherit it)."""
        join = 'echo $$ > "$0" && exec "$@"'
        return ["sh", "-c", join, str(self.local_procs), *argv]


def _cpu_hierarchy() -> tuple[Path, bool]:
    """The cpu controller's root and whether it is cgroup v2."""
    if (CGROUP_ROOT / "cpu" / "cpu.cfs_quota_us").exists():
        return CGROUP_ROOT / "cpu", False
    if "cpu" in (CGROUP_ROOT / "cgroup.controllers").read_text(errors="replace").split():
        return CGROUP_ROOT, True
    raise CapsUnavailable("no cgroup cpu controller under /sys/fs/cgroup")


def _limit(group: Path, share: float | None, v2: bool) -> None:
    """Cap `group` at `share` CPUs; None lifts the cap."""
    group.mkdir(exist_ok=True)
    quota = max(1000, int(PERIOD_US * share)) if share is not None else None
    if v2:
        (group.parent / "cgroup.subtree_control").write_text("+cpu")
        (group / "cpu.max").write_text(f"{quota or 'max'} {PERIOD_US}")
    else:
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(quota or -1))


def _netns_pids(namespace: str) -> list[int]:
    out = subprocess.run(
        ["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False
    ).stdout
    return [int(word) for word in out.split() if word.isdigit()]


def _move(pids: list[int], group: Path) -> None:
    group.mkdir(exist_ok=True)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, OSError):  # a process that just exited
            (group / "cgroup.procs").write_text(str(pid))


@contextlib.contextmanager
def capped(bed: Bed, *, host_share: float, local_share: float) -> Iterator[CpuCaps]:
    """Cap every host of `bed` at `host_share` CPUs and the tools at `local_share`."""
    root, v2 = _cpu_hierarchy()
    groups = [root / host.cgroup_parent.strip("/") for host in bed.hosts]
    for host, group in zip(bed.hosts, groups, strict=True):
        _limit(group, host_share, v2)
        # The host's daemons live in its network namespace; its containers are already
        # under the group (dockerd's --cgroup-parent). v2 wants processes in leaves only.
        _move(_netns_pids(host.namespace), group / "daemons")
    local = root / f"kamalpy-bench-{bed.prefix}-local"
    _limit(local, local_share, v2)
    try:
        yield CpuCaps(host_share, local_share, local / "cgroup.procs")
    finally:
        for group in groups:  # the bed lives on (the next mode): uncapped again
            _limit(group, None, v2)
        _remove(local)


def _remove(group: Path) -> None:
    """Remove the tools' group once its last process (an ssh master at exit) is gone."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
