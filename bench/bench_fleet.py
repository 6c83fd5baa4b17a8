"""Benchmark: 10 changed services of a monorepo in ONE `kamalpy deploy`, against Kamal and a floor.

Brings up its own 3-host test bed (prefix `kf<pid>`, torn down on exit, ^C or SIGTERM). The
10 services are worker roles (`proxy: false`: kamal-proxy cannot be pulled here) on all 3
hosts. Their images are prebuilt before any timing, and all three subjects deploy the same
image content to the same hosts, switching every service between two variants each round
(so every round pulls, boots 30 containers and stops 30):
- kamalpy: a monorepo with `services/fleetNN/` whose Dockerfile is `FROM` the variant's
  image; two commits A and B (variant 1 and 2) are checked out in turn and one
  `kamalpy deploy` decides (build+deploy: the image digest differs), finds the image it built
  in the warm-up by its digest label (no build), pushes that tag and deploys the 10 services
  side by side over one ssh connection per host;
- kamal: 10 sequential `kamal deploy --skip-push --version vN` of the real Kamal 2.11, one per
  service directory (Kamal deploys one service per run);
- floor: the least any tool must do, one plain ssh session per host, all hosts at once: pull,
  run the new container, stop the old one, for the 10 services in turn.
Reports medians, the paired ratios kamalpy/kamal (target <= 0.35) and kamalpy/floor (target
<= 1.5), each round's too, the CPU seconds each subject used on this side (its process and its
children: ssh clients, local docker; not sshd or dockerd on the hosts), ssh sessions sshd
authenticated per host per kamalpy run ("Accepted publickey" lines; target 1), and the load
average; writes bench/results/bench_fleet-<UTC time>.json.

    python -m bench.bench_fleet [--rounds N] [--services 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_deploy import (
    HOSTS,
    REPO,
    RESULTS,
    _interrupt,
    config_text,
    kamal_binary,
    sessions,
    write_ssh_config,
)
from tests.testbed import Bed, BedSpec, down, images, up

TARGETS = {"kamalpy_to_kamal": 0.35, "kamalpy_to_floor": 1.5, "ssh_sessions_per_host": 1}
VARIANTS = ("v1", "v2")

FLOOR = """\
new=$1 old=$2; shift 2
for host in $HOSTS; do
  ssh -F "$SSH_CONFIG" "$host" "for image in $*; do name=\\${image##*/}; name=\\${name%%:*}; \
docker pull -q \\$image >/dev/null && docker rm -f \\$name-$new >/dev/null 2>&1; \
docker run -d --name \\$name-$new \\$image >/dev/null && \
docker stop -t 5 \\$name-$old >/dev/null 2>&1; true; done" &
done
wait
"""


@dataclass
class Subject:
    """One measured thing and its samples (wall seconds, client CPU seconds, sessions per host)."""

    name: str
    seconds: list[float] = field(default_factory=list)
    sessions: list[dict[str, int]] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)


def service_names(count: int) -> list[str]:
    """fleet00, fleet01, ..."""
    return [f"fleet{n:02d}" for n in range(count)]


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
    return subprocess.run(["git", "-C", str(root), *args], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip


def kamal_dirs(bed: Bed, root: Path, names: list[str], ssh_config: str) -> dict[str, Path]:
    """Kamal's layout per service (config/deploy.yml, .kamal/secrets), both variants pushed."""
    ips = [bed.host(h).ip for h in HOSTS]
    found = {}
    for name in names:
        directory = root / "kamal" / name
        (directory / "config").mkdir(parents=True)
        (directory / "config" / "deploy.yml").write_text(
            config_text(bed, f"k{name}", ips, 0, ssh_config)
        )
        (directory / ".kamal").mkdir()
        (directory / ".kamal" / "secrets").write_text(
            "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
        )
        _git(directory.parent, "init", "-q", name)
        for variant in VARIANTS:
            images.publish_app(bed, variant, repository=f"k{name}", service=f"k{name}")
        found[name] = directory
    return found


def monorepo(bed: Bed, root: Path, names: list[str], ssh_config: str) -> tuple[Path, list[str]]:
    """The kamalpy monorepo; commits A and B (every service on variant 1, then 2)."""
    repo = root / "mono"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text('[tool.kamalpy]\nservices = "services/*/deploy.yml"\n')
    ips = [bed.host(h).ip for h in HOSTS]
    commits = []
    for variant in VARIANTS:
        for name in names:
            folder = repo / "services" / name
            folder.mkdir(parents=True, exist_ok=True)
            base = images.build_app(variant, service=f"k{name}")  # Kamal's image, same layers
            text = _with_base(config_text(bed, name, ips, 0, ssh_config), base)
            (folder / "deploy.yml").write_text(text)
            (folder / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"every service on {variant}")
        commits.append(_git(repo, "rev-parse", "HEAD"))
    return repo, commits


def _with_base(text: str, base: str) -> str:
    """The deploy.yml with the variant's image as the BASE build arg."""
    marker = "builder:\n  arch: amd64\n"
    assert marker in text
    return text.replace(marker, f"{marker}  args:\n    BASE: {base}\n")


Sample = tuple[float, dict[str, int], float]  # wall seconds, sessions per host, CPU seconds


def _children_cpu() -> float:
    """User+system CPU seconds of every waited-for child process so far (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(
    argv: list[str], cwd: Path, env: dict[str, str], bed: Bed, output: list[str] | None = None
) -> Sample:
    """Run `argv`; its wall seconds, the ssh sessions each host authenticated meanwhile and
    the CPU seconds it and its children used on this side (not sshd or dockerd on the hosts).
    Its stderr goes to `output` when given."""
    before = {h: sessions(bed, h) for h in HOSTS}
    cpu, started = _children_cpu(), time.monotonic()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    if output is not None:
        output.append(result.stderr)
    return seconds, {h: sessions(bed, h) - before[h] for h in HOSTS}, _children_cpu() - cpu


@dataclass
class Fleet:
    """Everything a round needs: the bed, the three subjects' inputs, the environment."""

    bed: Bed
    env: dict[str, str]
    repo: Path
    commits: list[str]
    dirs: dict[str, Path]  # Kamal's directory per service
    ssh_config: str
    rounds_done: int = 0
    commands: list[dict[str, int]] = field(default_factory=list)  # per kamalpy run, per host

    def kamalpy(self, variant: int) -> Sample:
        """Check out the commit of `variant`, then one `kamalpy deploy` of every service."""
        _git(self.repo, "checkout", "-q", "--detach", self.commits[variant])
        # -v prints each command as it starts (`  <host>$ argv`): its round trips per host.
        argv = [sys.executable, "-m", "kamalpy", "-v", "deploy"]
        output: list[str] = []
        sample = _timed(argv, self.repo, self.env, self.bed, output)
        lines = output[0].splitlines()
        ips = {h: self.bed.host(h).ip for h in HOSTS}
        self.commands.append(
            {h: sum(1 for line in lines if f"  {ip}$ " in line) for h, ip in ips.items()}
        )
        return sample

    def kamal(self, variant: int) -> Sample:
        """10 sequential `kamal deploy --skip-push` runs, one per service directory."""
        total, cpu_total, per_host = 0.0, 0.0, dict.fromkeys(HOSTS, 0)
        for directory in self.dirs.values():
            argv = [kamal_binary(), "deploy", "--skip-push", "--version", VARIANTS[variant]]
            seconds, opened, cpu = _timed(argv, directory, self.env, self.bed)
            total, cpu_total = total + seconds, cpu_total + cpu
            per_host = {h: per_host[h] + opened[h] for h in HOSTS}
        return total, per_host, cpu_total

    def floor(self, variant: int) -> Sample:
        """Pull, run, stop the 10 services' images over one ssh session per host."""
        new, old = VARIANTS[variant], VARIANTS[1 - variant]
        refs = [f"{self.bed.registry}/k{name}:{new}" for name in self.dirs]
        env = {**self.env, "HOSTS": " ".join(self.bed.host(h).ip for h in HOSTS)}
        argv = ["sh", "-c", FLOOR, "floor", f"floor{new}", f"floor{old}", *refs]
        return _timed(argv, self.repo, env, self.bed)


def run_rounds(fleet: Fleet, subjects: dict[str, Subject], rounds: int) -> None:
    """Two unmeasured warm-up rounds (both variants built, pulled, booted), then `rounds`."""
    for index in range(2 + rounds):
        variant = index % 2
        order = list(subjects)
        shift = index % len(order)
        for name in order[shift:] + order[:shift]:
            seconds, opened, cpu = getattr(fleet, name)(variant)
            if index >= 2:
                subjects[name].seconds.append(seconds)
                subjects[name].sessions.append(opened)
                subjects[name].cpu_seconds.append(cpu)
            label = "warm-up" if index < 2 else f"round {index - 1}"
            load = os.getloadavg()[0]
            print(f"  {label}: {name:8} {seconds:7.2f}s  cpu {cpu:6.2f}s  load {load:5.1f}  "
                  f"sessions {opened}", flush=True)  # fmt: skip


def summarise(subjects: dict[str, Subject]) -> dict[str, object]:
    """Medians, paired ratios (same round, each round's too), sessions, against the targets."""
    kamalpy, kamal, floor = (subjects[n].seconds for n in ("kamalpy", "kamal", "floor"))
    sessions_max = max(max(s.values()) for s in subjects["kamalpy"].sessions)
    to_kamal = [round(a / b, 3) for a, b in zip(kamalpy, kamal, strict=True)]
    to_floor = [round(a / b, 3) for a, b in zip(kamalpy, floor, strict=True)]
    return {
        "subjects": {
            name: {
                "median_seconds": round(statistics.median(s.seconds), 3),
                "seconds": [round(x, 3) for x in s.seconds],
                "cpu_seconds": [round(x, 3) for x in s.cpu_seconds],
                "ssh_sessions_per_host": s.sessions,
            }
            for name, s in subjects.items()
        },
        "kamalpy_to_kamal": round(statistics.median(to_kamal), 3),
        "kamalpy_to_floor": round(statistics.median(to_floor), 3),
        "kamalpy_to_kamal_per_round": to_kamal,
        "kamalpy_to_floor_per_round": to_floor,
        "ssh_sessions_per_host": sessions_max,
        "targets": TARGETS,
    }


def measure(bed: Bed, services: int, rounds: int) -> dict[str, object]:
    """Prepare the three subjects on `bed`, run the rounds, summarise."""
    for host in HOSTS:
        bed.docker_login(host)  # Kamal logs in itself; the floor expects a login
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ssh_config = write_ssh_config(bed, root, openssh_kex=False)
        names = service_names(services)
        kamal = kamal_dirs(bed, root, names, ssh_config)
        repo, commits = monorepo(bed, root, names, ssh_config)
        env = dict(os.environ, PYTHONPATH=str(REPO), DOCKER_CONFIG=str(root / "docker"))
        env.update(KAMAL_REGISTRY_PASSWORD=bed.registry_password, SSH_CONFIG=ssh_config)
        for name in ("VERSION", "KAMALPY_PROCESS_RUNNER", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        fleet = Fleet(bed, env, repo, commits, kamal, ssh_config)
        subjects = {name: Subject(name) for name in ("kamalpy", "kamal", "floor")}
        run_rounds(fleet, subjects, rounds)
        report = summarise(subjects)
        measured = fleet.commands[2:]  # after the two warm-up rounds
        report["kamalpy_commands_per_host"] = measured
        # Amortised: each run's own fixed work (survey, preparation, the lock) included.
        report["kamalpy_commands_per_service_and_host"] = {
            h: round(statistics.median(m[h] for m in measured) / services, 2) for h in HOSTS
        }
        return report


def main(argv: list[str] | None = None) -> int:
    """Bring a bed up, measure, tear it down (also on ^C), print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per subject")
    parser.add_argument("--services", type=int, default=10)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    load_start = [round(x, 2) for x in os.getloadavg()]
    spec = BedSpec(prefix=f"kf{os.getpid() % 100000}", hosts=3)
    started = time.time()
    try:
        report = measure(up(spec, owner_pid=os.getpid()), args.services, args.rounds)
    finally:
        down(spec.prefix)
    report.update(
        load_start=load_start, load_end=[round(x, 2) for x in os.getloadavg()],
        cpus=os.cpu_count(), services=args.services, rounds=args.rounds,
        started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
    )  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench_fleet-{report['started_utc']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted; the test bed was torn down", file=sys.stderr)
        raise SystemExit(130) from None
