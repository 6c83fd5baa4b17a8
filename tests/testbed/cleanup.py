"""Teardown: remove every process, cgroup, mount, namespace, link and file a bed made."""

from __future__ import annotations

import contextlib
import functools
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.testbed import proc
from tests.testbed.spec import bridge_name, data_dir, run_dir
from tests.testbed.state import State

CGROUP_ROOT = Path("/sys/fs/cgroup")


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM while tearing down, so a second ^C cannot strand resources."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def teardown(state: State) -> list[str]:
    """Remove everything `state` records (tolerating what is already gone); return problems."""
    problems: list[str] = []
    with signals_deferred():
        engines = [_pid(p) for p in state.processes if p["what"].startswith("dockerd")]
        proc.stop(engines, grace=8)  # dockerd stops its containers itself when given time
        for ns in state.namespaces:
            proc.stop([(pid, None) for pid in _netns_pids(ns)], grace=3)
        proc.stop([_pid(p) for p in state.processes], grace=3)
        proc.stop([(pid, None) for pid in _bed_pids(state.prefix)], grace=3)
        for parent in state.cgroups:
            problems += _kill_cgroup(parent)
        problems += _unmount_under(state)
        problems += _delete_network(state)
        problems += _remove_tags(state.docker_tags)
        for path in [*state.etc_dirs, *state.dirs, str(data_dir(state.prefix))]:
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(run_dir(state.prefix), ignore_errors=True)
    return problems


def _pid(record: dict[str, object]) -> tuple[int, int | None]:
    start = record.get("start")
    return int(str(record["pid"])), int(str(start)) if start is not None else None


def _netns_pids(ns: str) -> list[int]:
    out = proc.run(["ip", "netns", "pids", ns], check=False)
    return [int(word) for word in out.split() if word.isdigit()]


def _bed_pids(prefix: str) -> list[int]:
    """Processes whose command line names the bed's directories (e.g. containerd shims)."""
    marks = (f"{run_dir(prefix)}/", f"{data_dir(prefix)}/")
    return [pid for pid in proc.all_pids() if any(m in proc.cmdline(pid) for m in marks)]


def _cgroup_dirs(parent: str) -> list[Path]:
    """The parent cgroup in every mounted hierarchy (cgroup v1 has one per controller)."""
    rel = parent.strip("/")
    found = [CGROUP_ROOT / rel] if (CGROUP_ROOT / "cgroup.procs").exists() else []
    found += [sub / rel for sub in CGROUP_ROOT.iterdir() if (sub / "cgroup.procs").exists()]
    return [path for path in found if path.is_dir()]


def _kill_cgroup(parent: str) -> list[str]:
    """SIGKILL container processes left under `parent`, then remove the cgroups."""
    problems = []
    for top in _cgroup_dirs(parent):
        dirs = sorted(top.rglob("*/"), key=lambda p: len(p.parts), reverse=True)
        pids = []
        for directory in [top, *dirs]:
            with contextlib.suppress(OSError):
                pids += [int(x) for x in (directory / "cgroup.procs").read_text().split()]
        proc.stop([(pid, None) for pid in pids], grace=0)
        for directory in [*[d for d in dirs if d.is_dir()], top]:
            if not proc.wait_until(functools.partial(_rmdir, directory), 3):
                problems.append(f"cgroup {directory} still busy")
    return problems


def _rmdir(path: Path) -> bool:
    try:
        path.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def bed_mounts(prefix: str) -> list[str]:
    """Mount points in the root namespace that belong to the bed."""
    marks = (f"{run_dir(prefix)}/", f"{data_dir(prefix)}/", f"/run/netns/{prefix}-")
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if any((point + "/").startswith(m) or point.startswith(m) for m in marks):
            points.append(point)
    return points


def _unmount_under(state: State) -> list[str]:
    problems = []
    ours = [p for p in bed_mounts(state.prefix) if not p.startswith("/run/netns/")]
    for point in sorted(ours, key=len, reverse=True):
        out = proc.run(["umount", "-l", point], check=False)
        if point in bed_mounts(state.prefix):
            problems.append(f"mount {point} stays: {out}")
    return problems


def _delete_network(state: State) -> list[str]:
    problems = []
    for ns in state.namespaces:
        if Path("/run/netns", ns).exists():
            proc.run(["ip", "netns", "delete", ns], check=False)
    for link in [*state.links, bridge_name(state.prefix)]:
        if Path("/sys/class/net", link).exists():
            proc.run(["ip", "link", "delete", link], check=False)
    mounted = bed_mounts(state.prefix)
    for point in [m for m in state.mounts if m in mounted]:  # a netns `ip` could not delete
        proc.run(["umount", "-l", point], check=False)
        Path(point).unlink(missing_ok=True)
    problems += [
        f"namespace {ns} stays" for ns in state.namespaces if Path("/run/netns", ns).exists()
    ]
    return problems


def _remove_tags(tags: list[str]) -> list[str]:
    """Untag the registry-named images pushed from the root engine (local caches stay)."""
    if tags:
        proc.run(["docker", "image", "rm", *tags], check=False)
    return []


def leftovers(prefix: str) -> list[str]:
    """Everything of bed `prefix` still on this machine (empty after a clean teardown)."""
    found = [f"namespace {ns}" for ns in _names(Path("/run/netns"), f"{prefix}-")]
    found += [f"link {link}" for link in _names(Path("/sys/class/net"), f"{prefix}-")]
    found += [f"process {pid}: {proc.cmdline(pid)[:120]}" for pid in _bed_pids(prefix)]
    found += [f"mount {point}" for point in bed_mounts(prefix)]
    found += [f"etc {p}" for p in _names(Path("/etc/netns"), f"{prefix}-")]
    found += [f"cgroup {p}" for p in _cgroups_of(prefix)]
    found += [f"dir {p}" for p in (run_dir(prefix), data_dir(prefix)) if p.exists()]
    return found


def _names(directory: Path, start: str) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(entry.name for entry in directory.iterdir() if entry.name.startswith(start))


def _cgroups_of(prefix: str) -> list[str]:
    mark = f"kamalpy-testbed-{prefix}-"
    roots = [CGROUP_ROOT, *[d for d in CGROUP_ROOT.iterdir() if d.is_dir()]]
    return [str(r / n) for r in roots for n in _names(r, mark)]
