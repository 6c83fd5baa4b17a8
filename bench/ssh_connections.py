"""Benchmark: ssh connections opened per host, and 1-host vs 3-host wall time, on the test bed.

Runs a deploy-shaped sequence of commands (inspect, mkdir, env upload, docker queries) on each
host through kamalpy's executor, counts the sessions each host's sshd authenticated (its log's
"Accepted publickey" lines), and times the same sequence on 1 host and fanned out on 3.

    python -m bench.ssh_connections [--rounds N] [--json]

Targets (issue 5): 1 connection per host; 3-host time <= 1.3 x 1-host time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kamalpy.commands.ssh import SshSettings
from kamalpy.executor import process
from kamalpy.executor.base import Executor, Target
from kamalpy.executor.fanout import on_hosts
from kamalpy.executor.process import ProcessRunner, run_process, run_process_direct
from kamalpy.executor.routing import RoutingExecutor
from tests.testbed import Bed, BedSpec, down, up

HOSTS = ("h1", "h2", "h3")
RUNNERS: dict[str, ProcessRunner] = {"sh": run_process, "subprocess": run_process_direct}
COMMANDS = 10  # in deploy_shaped


def deploy_shaped(executor: Executor, target: Target) -> None:
    """About the commands one host sees in a deploy of one role, without starting containers."""
    run = executor.run
    run(target, ["docker", "info", "--format", "{{.ServerVersion}}"])
    run(target, ["mkdir", "-p", ".kamal/apps/bench/env/roles"])
    executor.upload(target, ".kamal/apps/bench/env/roles/web.env", b"SECRET=x\n")
    run(target, ["docker", "image", "inspect", "--format", "{{.Id}}", "none:none"], check=False)
    run(target, ["docker", "ps", "--all", "--filter", "label=service=bench", "--quiet"])
    run(target, ["docker", "network", "ls", "--format", "{{.Name}}"])
    run(target, ["sh", "-c", "echo started >> .kamal/bench-audit.log"])
    run(target, ["docker", "ps", "--filter", "label=service=bench", "--format", "{{.Names}}"])
    run(target, ["stat", "-c", "%a", ".kamal/apps/bench/env/roles/web.env"])
    run(target, ["rm", "-rf", ".kamal/apps/bench", ".kamal/bench-audit.log"])


def sessions(bed: Bed, host: str) -> int:
    """Sessions sshd on `host` has authenticated so far."""
    log = Path(bed.run_dir) / "logs" / f"{host}-sshd.log"
    return log.read_text(errors="replace").count("Accepted publickey")


def timed_run(
    bed: Bed, hosts: tuple[str, ...], rounds: int, runner: ProcessRunner
) -> tuple[float, dict[str, int]]:
    """Wall time of `rounds` deploy-shaped sequences on `hosts` (fresh executor), and sessions."""
    settings = SshSettings(config_file=bed.ssh_config)
    targets = [Target(name, settings) for name in hosts]
    before = {host: sessions(bed, host) for host in hosts}
    started = time.monotonic()
    with RoutingExecutor(runner=runner) as executor:
        for _ in range(rounds):
            on_hosts(targets, lambda t: deploy_shaped(executor, t)).raise_for_failures()
    seconds = time.monotonic() - started
    return seconds, {host: sessions(bed, host) - before[host] for host in hosts}


@dataclass(frozen=True)
class Report:
    """What the benchmark found."""

    commands_per_host: int
    ssh_connections_per_host: dict[str, int]
    one_host_seconds: float
    three_hosts_seconds: float

    @property
    def ratio(self) -> float:
        """3-host time over 1-host time."""
        return self.three_hosts_seconds / self.one_host_seconds

    @property
    def ok(self) -> bool:
        """Both targets met."""
        return set(self.ssh_connections_per_host.values()) == {1} and self.ratio <= 1.3

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {**asdict(self), "three_vs_one_ratio": round(self.ratio, 3)}


def measure(bed: Bed, rounds: int, runner: ProcessRunner, repeats: int = 3) -> Report:
    """Median of `repeats` runs on 1 host and on 3 hosts."""
    one, three = [], []
    opened: dict[str, int] = {}
    for _ in range(repeats):
        one.append(timed_run(bed, HOSTS[:1], rounds, runner)[0])
        seconds, opened = timed_run(bed, HOSTS, rounds, runner)
        three.append(seconds)
    return Report(rounds * COMMANDS, opened, statistics.median(one), statistics.median(three))


def main(argv: list[str] | None = None) -> int:
    """Bring a bed up, measure, take it down, print the report; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description="ssh connections per host and fan-out scaling")
    parser.add_argument("--rounds", type=int, default=3, help="sequences per host per run")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    spec = BedSpec(prefix=f"kb{os.getpid() % 100000}", hosts=3)
    bed = up(spec, owner_pid=os.getpid())
    try:
        reports = {name: measure(bed, args.rounds, runner) for name, runner in RUNNERS.items()}
    finally:
        down(spec.prefix)
    if args.json:
        print(json.dumps({k: r.as_dict() for k, r in reports.items()}, indent=2, sort_keys=True))
    for name, report in reports.items():
        if not args.json:
            print_report(name, report)
    default = "subprocess" if process.DEFAULT_RUNNER is run_process_direct else "sh"
    return 0 if reports[default].ok else 1


def print_report(name: str, report: Report) -> None:
    """Two lines for people."""
    per_command = report.one_host_seconds / report.commands_per_host * 1000
    print(f"[{name}] ssh connections per host: {report.ssh_connections_per_host} (target 1 each)")
    print(
        f"[{name}] 1 host {report.one_host_seconds:.2f}s, 3 hosts "
        f"{report.three_hosts_seconds:.2f}s, ratio {report.ratio:.2f} (target <= 1.3); "
        f"{per_command:.1f} ms per command"
    )


if __name__ == "__main__":
    sys.exit(main())
