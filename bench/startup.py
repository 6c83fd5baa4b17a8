"""Benchmark: what the nox kit adds before a deploy touches a host, and `kamalpy --help`.

Run (in a kamalpy checkout, nox on PATH): python bench/startup.py [RUNS]

- `nox -s deploy -- --dry-run` (the example monorepo, `-d local`): the time from starting nox
  to its first `ssh` or `docker` process (the first contact with a host; a local host is
  reached with docker directly). Shims first on PATH record that moment, then exec the real
  program. Target <= 1.5 s. One warm-up run first, so the shared kamalpy env exists.
  The shim also sums the CPU time its ancestors (kamalpy, nox) and their finished children had
  spent at that moment: the CPU cost before first contact, which load does not inflate.
- `kamalpy --help`: a fresh `python -m kamalpy --help`, wall time. Target <= 150 ms.
Medians over RUNS (default 5); on a loaded machine read the min and the CPU times as well.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIM = """#!/bin/sh
# First contact with a host: record when (ns) and the CPU ticks (utime, stime, cutime, cstime)
# of every ancestor up to the benchmark ($SHIM_STOP), once, then run the real {name}.
stat_of() {{  # "PPID TICKS" of process $1 (fields after the command name, which may hold spaces)
  set -- $(sed 's/^.*) //' "/proc/$1/stat")
  echo "$2 $((${{12}} + ${{13}} + ${{14}} + ${{15}}))"
}}
if [ ! -e "$SHIM_MARK" ]; then
  now=$(date +%s%N) ticks=0 pid=$PPID
  while [ "$pid" -gt 1 ] && [ "$pid" != "$SHIM_STOP" ]; do
    found=$(stat_of "$pid")
    ticks=$((ticks + ${{found#* }})) pid=${{found% *}}
  done
  echo "$now $ticks" > "$SHIM_MARK"
fi
exec {real} "$@"
"""


def write_shims(folder: Path) -> None:
    """`ssh` and `docker` shims that stamp the first call of either."""
    for name in ("ssh", "docker"):
        real = shutil.which(name)
        if real is None:
            continue
        shim = folder / name
        shim.write_text(SHIM.format(name=name, real=real))
        shim.chmod(0o755)


def child_cpu() -> float:
    """CPU seconds (user + sys) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, list[float]] = {"nox": [], "help": []}


def first_contact(folder: Path, python: str) -> float:
    """Seconds from starting `nox -s deploy -- --dry-run` to its first ssh/docker process.

    Also records the CPU time nox and kamalpy had spent by then (what the wall time would be
    on an idle machine, less any waiting on disk).
    """
    mark = folder / "mark"
    mark.unlink(missing_ok=True)
    env = {**child_environ(), "PATH": f"{folder}:{os.environ['PATH']}", "SHIM_MARK": str(mark),
           "SHIM_STOP": str(os.getpid())}  # fmt: skip
    started = time.time_ns()
    done = subprocess.run(["nox", "-s", "deploy", "--", "--dry-run"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    # Only the moment of first contact counts; how the dry run ends is not measured here.
    if not mark.exists():
        sys.exit(
            f"nox -s deploy -- --dry-run never reached a host:\n{done.stdout[-3000:]}"
            f"{done.stderr[-2000:]}"
        )
    stamp, ticks = mark.read_text().split()
    CPU["nox"].append(int(ticks) / os.sysconf("SC_CLK_TCK"))
    return (int(stamp) - started) / 1e9


def child_environ() -> dict[str, str]:
    """This environment without PYTHONDONTWRITEBYTECODE: with it, every run compiles each module
    that has no .pyc yet (measured: ~200 ms more CPU), which a user's machine does once."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def help_seconds(python: str) -> float:
    """Wall time of a fresh `python -m kamalpy --help`."""
    cpu = child_cpu()
    started = time.perf_counter()
    subprocess.run([python, "-m", "kamalpy", "--help"], cwd=REPO, check=True,
                   capture_output=True, env=child_environ())  # fmt: skip
    CPU["help"].append(child_cpu() - cpu)
    return time.perf_counter() - started


def report(name: str, samples: list[float], cpu: list[float], target: float) -> str:
    """One line: median and min wall time, median CPU time, target, verdict (on wall time)."""
    median = statistics.median(samples)
    verdict = "ok" if median <= target else "OVER"
    return (f"{name}: median {median * 1000:.0f} ms, min {min(samples) * 1000:.0f} ms, "
            f"cpu {statistics.median(cpu) * 1000:.0f} ms "
            f"(target <= {target * 1000:.0f} ms, {len(samples)} runs) {verdict}")  # fmt: skip


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    shared = REPO / ".nox" / "kamalpy" / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="kamalpy-bench-") as tmp:
        folder = Path(tmp)
        write_shims(folder)
        first_contact(folder, sys.executable)  # warm-up: makes the shared env if needed
        CPU["nox"].clear()
        python = str(shared) if shared.exists() else sys.executable
        nox_samples = [first_contact(folder, python) for _ in range(runs)]
    help_seconds(python)
    CPU["help"].clear()
    help_samples = [help_seconds(python) for _ in range(runs)]
    # Wall times scale with the machine's load: say what it was.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(report("nox -s deploy -- --dry-run, start to first ssh/docker", nox_samples,
                 CPU["nox"], 1.5))  # fmt: skip
    print(report("kamalpy --help start-up", help_samples, CPU["help"], 0.150))


if __name__ == "__main__":
    main()
