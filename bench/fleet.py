"""Benchmark: kamalpy deploying a two-role service to a simulated fleet of light hosts.

A light host is a network namespace with its own sshd and a recording stand-in for `docker`
(bench/fleet_docker.sh, first on the sessions' PATH): no engine, no containers, so a hundred
fit on one machine and the numbers are kamalpy's own — fan-out, ssh, process spawning — not
dockerd's. Both roles (`web`, `workers`) run on every host without proxy, readiness_delay 0.

Deploys to 1 host, to 10 and to all (default 100), alternating versions so every deploy boots
and stops, after one unmeasured warm-up; reports wall time, CPU seconds (kamalpy and the ssh
clients it waited for) and peak memory (largest process) per size, and the ssh sessions each
host's sshd authenticated per deploy. Targets (issue 13): N hosts <= 3 x the time of 10 hosts,
1 ssh connection per host, peak memory <= 200 MB. The fan-out bound is deploy.yml's
`x-kamalpy.parallel_hosts` (default 100), `--fan-out` here; connection starts keep
`sshkit.max_concurrent_starts`' default (30, and at most 8 at once).

    python -m bench.fleet [--hosts 100] [--rounds 1] [--fan-out 100] [--json]
                          [--ssh-option KexAlgorithms=curve25519-sha256 ...]

`--ssh-option` adds client options for every host (a `Host *` block in the fleet's ssh config,
as a user would in ~/.ssh/config): OpenSSH 9's default key exchange (sntrup761x25519) costs the
client ~0.09 CPU s per connection, curve25519-sha256 ~0.01 s (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType

from tests.testbed import hosts, lifecycle, proc
from tests.testbed.spec import BedSpec, Host, data_dir, make_host, run_dir

REPO = Path(__file__).resolve().parents[1]
STANDIN = Path(__file__).with_name("fleet_docker.sh")


@dataclass(frozen=True)
class Fleet:
    """Light hosts up and reachable with `ssh -F ssh_config <name>`."""

    prefix: str
    hosts: tuple[Host, ...]
    ssh_config: str
    run_dir: str


@dataclass(frozen=True)
class Sample:
    """One measured deploy."""

    hosts: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    docker_calls_per_host: float
    sessions_per_host: float
    max_sessions_on_a_host: int


def _sshd_config(host: Host, hdir: Path, bindir: Path) -> Path:
    keyfile = hdir / "ssh_host_ed25519_key"
    proc.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keyfile)])
    config = hdir / "sshd_config"
    lines = [
        "Port 22", "ListenAddress 0.0.0.0", f"HostKey {keyfile}", f"PidFile {hdir / 'sshd.pid'}",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        "AuthorizedKeysFile .ssh/authorized_keys", "PrintMotd no", "MaxSessions 100",
        # The stand-in answers as `docker`; it records each call in the host's home.
        f"SetEnv PATH={bindir}:/usr/local/bin:/usr/bin:/bin", "",
    ]  # fmt: skip
    config.write_text("\n".join(lines))
    return config


def up(count: int, prefix: str) -> Fleet:
    """Bring `count` light hosts up (torn down again if this fails or is interrupted)."""
    state = lifecycle.allocate(BedSpec(prefix=prefix, hosts=1), os.getpid())
    try:
        run = run_dir(prefix)
        for directory in (run, data_dir(prefix)):
            state.note("dirs", str(directory))
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = run / "id_ed25519"
        proc.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
        bindir = run / "bin"
        bindir.mkdir(exist_ok=True)
        (bindir / "docker").write_bytes(STANDIN.read_bytes())
        (bindir / "docker").chmod(0o755)
        hosts.make_bridge(state)
        fleet_hosts = tuple(make_host(prefix, state.index, n) for n in range(1, count + 1))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        for host in fleet_hosts:
            hosts.make_namespace(state, host)
            hosts.write_etc(state, host)
            hosts.make_home(host, (run / "id_ed25519.pub").read_text())
            hdir = run / host.name
            hdir.mkdir(exist_ok=True)
            sshd = ["/usr/sbin/sshd", "-D", "-e", "-f", str(_sshd_config(host, hdir, bindir))]
            pid = proc.spawn(host.netns_argv(sshd), run / "logs" / f"{host.name}-sshd.log")
            state.note_process(f"sshd {host.name}", pid)
        for host in fleet_hosts:
            if not proc.wait_until(lambda h=host: _answers(h), 60):  # type: ignore[misc]
                raise proc.BedError(f"sshd on {host.name} did not come up")
        config = lifecycle.write_ssh_config(run, key, fleet_hosts)
        return Fleet(prefix, fleet_hosts, str(config), str(run))
    except BaseException:
        lifecycle.down(prefix)
        raise


def _calls(host: Host) -> int:
    """`docker` calls the stand-in recorded on host (the log is reset after reading)."""
    log = Path(host.home) / ".standin" / "calls.log"
    try:
        count = len(log.read_text().splitlines())
    except OSError:
        return 0
    log.unlink()
    return count


def _answers(host: Host) -> bool:
    import socket

    try:
        with socket.create_connection((host.ip, 22), timeout=0.5):
            return True
    except OSError:
        return False


def deploy_yml(fleet: Fleet, names: list[str], fan_out: int) -> str:
    """Two roles on every host, no proxy, readiness checked at once."""
    listed = ", ".join(names)
    return f"""service: fleet
image: fleet
servers:
  web:
    hosts: [{listed}]
    cmd: sleep 100000
    proxy: false
  workers:
    hosts: [{listed}]
    cmd: sleep 100000
    proxy: false
registry:
  server: registry.fleet.test
  username: fleet
  password: [FLEET_REGISTRY_PASSWORD]
builder:
  arch: amd64
ssh:
  config: {fleet.ssh_config}
x-kamalpy:
  parallel_hosts: {fan_out}
readiness_delay: 0
drain_timeout: 1
"""


def sessions(fleet: Fleet, names: list[str]) -> dict[str, int]:
    """Sessions each host's sshd has authenticated so far."""
    logs = Path(fleet.run_dir) / "logs"
    return {
        n: (logs / f"{n}-sshd.log").read_text(errors="replace").count("Accepted publickey")
        for n in names
    }


def deploy(fleet: Fleet, root: Path, names: list[str], version: str, fan_out: int) -> Sample:
    """One `kamalpy deploy --skip-push` to `names`, measured; raises if it fails."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "deploy.yml").write_text(deploy_yml(fleet, names, fan_out))
    before = sessions(fleet, names)
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(root / "pycache"))
    env.pop("VERSION", None)
    # The warm-up writes the bytecode every measured deploy then loads (a shell that sets
    # PYTHONDONTWRITEBYTECODE would have each deploy compile kamalpy again: ~1 CPU s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["FLEET_REGISTRY_PASSWORD"] = "unused"  # the stand-in's `docker login` accepts anything
    argv = [sys.executable, "-m", "kamalpy", "-q", "deploy", "--skip-push", "--version", version]
    started = time.monotonic()
    child = subprocess.Popen(
        argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"deploy to {len(names)} hosts failed:\n{output.decode()[-3000:]}")
    after = sessions(fleet, names)
    calls = sum(_calls(h) for h in fleet.hosts if h.name in names)
    opened = [after[n] - before[n] for n in names]
    return Sample(
        hosts=len(names), seconds=round(seconds, 2),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
        peak_mb=round(usage.ru_maxrss / 1024, 1),
        docker_calls_per_host=round(calls / len(names), 1),
        sessions_per_host=round(sum(opened) / len(opened), 2),
        max_sessions_on_a_host=max(opened),
    )  # fmt: skip


def floor(fleet: Fleet, names: list[str]) -> float:
    """Wall seconds for one bare `ssh HOST true` per host, all at once: what any deploy that
    opens one ssh connection per host costs at least, with no kamalpy and no fan-out bound."""
    started = time.monotonic()
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL}
    children = {
        name: subprocess.Popen(
            ["ssh", "-F", fleet.ssh_config, name, "true"], stderr=subprocess.PIPE, **quiet
        )
        for name in names
    }
    errors = {name: child.communicate()[1] for name, child in children.items()}
    seconds = time.monotonic() - started
    for name, child in children.items():
        if child.returncode:
            raise RuntimeError(f"bare ssh to {name} failed: {errors[name].decode()[-500:]}")
    return round(seconds, 2)


def measure(fleet: Fleet, rounds: int, fan_out: int) -> dict[str, object]:
    """Warm up, then deploy to 1, 10 and all hosts `rounds` times each; the report."""
    names = [h.name for h in fleet.hosts]
    sizes = sorted({1, min(10, len(names)), len(names)})
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        deploy(fleet, root, names, "v0", fan_out)  # warm-up: bytecode, first boots
        version = 1
        floors: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(rounds):
            for size in sizes:
                samples.append(deploy(fleet, root, names[:size], f"v{version}", fan_out))
                version += 1
                floors[size].append(floor(fleet, names[:size]))
    by_size = {
        size: min((s for s in samples if s.hosts == size), key=lambda s: s.seconds)
        for size in sizes
    }
    ten, full = by_size[min(10, len(names))], by_size[len(names)]
    return {
        "hosts": len(names),
        "fan_out": fan_out,
        "best_by_size": {str(k): asdict(v) for k, v in by_size.items()},
        "samples": [asdict(s) for s in samples],
        "full_over_10_time": round(full.seconds / ten.seconds, 2),
        # The same ratio for bare connections: on a bed whose hosts share this machine's cores,
        # kamalpy's ratio cannot beat it by much (docs/deploy.md).
        "floor_seconds_by_size": {str(k): min(v) for k, v in floors.items()},
        "floor_full_over_10_time": round(
            min(floors[len(names)]) / min(floors[min(10, len(names))]), 2
        ),
        "load_average": os.getloadavg(),
    }


def with_ssh_options(fleet: Fleet, options: list[str]) -> Fleet:
    """The fleet with `KEY=VALUE` ssh client options for every host (none: unchanged)."""
    if not options:
        return fleet
    lines = [f"  {key} {value}" for key, _, value in (o.partition("=") for o in options)]
    config = Path(fleet.run_dir) / "ssh_config.options"
    config.write_text(Path(fleet.ssh_config).read_text() + "\nHost *\n" + "\n".join(lines) + "\n")
    return replace(fleet, ssh_config=str(config))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like ^C, so the fleet is torn down


def main(argv: list[str] | None = None) -> int:
    """Bring the fleet up, measure, tear it down (also on ^C), print the report."""
    parser = argparse.ArgumentParser(description="kamalpy deploying to a fleet of light hosts")
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--fan-out", type=int, default=100, help="x-kamalpy.parallel_hosts")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ssh-option", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    prefix = f"kf{os.getpid() % 100000}"
    fleet = up(args.hosts, prefix)
    try:
        fleet = with_ssh_options(fleet, args.ssh_option)
        report = {**measure(fleet, args.rounds, args.fan_out), "ssh_options": args.ssh_option}
    finally:
        problems = lifecycle.down(prefix)
        if problems:
            print("fleet teardown left: " + "; ".join(problems), file=sys.stderr)
    print(json.dumps(report, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
