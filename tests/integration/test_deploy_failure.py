"""Acceptance: a bad release never serves; an unreachable host is named; a rerun converges."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from tests.integration.deploy_support import (
    HOSTS,
    LoadClient,
    Service,
    service_fixture,
)
from tests.testbed import Bed, prereq, proc
from tests.testbed.state import load

svc = service_fixture("fail", ("v1", "bad-up", "slow-start"), deployed="v1", workers=False)


def test_release_whose_up_never_succeeds_is_removed_and_old_keeps_serving(svc: Service) -> None:
    with LoadClient(svc) as client:
        result = svc.kamalpy("deploy", "--skip-push", "--version", "bad-up")
        time.sleep(1)
    assert result.returncode == 1, result.stdout + result.stderr
    assert client.failed == 0, client.failures[:10]
    assert client.succeeded > 50
    assert "did not become healthy within 8s" in result.stderr
    assert "last 50 log lines of fail-web-bad-up" in result.stderr
    assert "response:404" in result.stderr  # the app's own log lines: /up answered 404
    assert "HTTP/1.1 404 Not Found (x" in result.stderr  # the health history
    for host in HOSTS:
        assert svc.get(host) == (200, "v1\n")
        names = svc.ssh(host, "docker ps -a --format '{{.Names}}'").split()
        assert "fail-web-bad-up" not in names
    assert "Failed deploy of bad-up" in svc.kamalpy("audit").stdout


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _kill_sshd(bed: Bed, host: str) -> None:
    pid = int((Path(bed.run_dir) / host / "sshd.pid").read_text())
    for victim in _descendants(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _restart_sshd(bed: Bed, host: str) -> None:
    h = bed.host(host)
    sshd = [
        prereq.tool_path("sshd"),
        "-D",
        "-e",
        "-f",
        str(Path(bed.run_dir) / host / "sshd_config"),
    ]
    named = ["unshare", "--uts", "sh", "-c", 'hostname "$1" && shift && exec "$@"', "sh", host]
    pid = proc.spawn(h.netns_argv([*named, *sshd]), Path(bed.run_dir) / "logs" / f"{host}-sshd.log")
    state = load(Path(bed.run_dir) / "state.json")
    if state is not None:
        state.note_process(f"sshd {host} (restarted by test)", pid)
    assert proc.wait_until(lambda: _ssh_ok(bed, host), timeout=20)


def _ssh_ok(bed: Bed, host: str) -> bool:
    return proc.run(bed.ssh_argv(host, ["true"]), check=False) is not None and _ssh_status(
        bed, host
    )


def _ssh_status(bed: Bed, host: str) -> bool:
    import subprocess

    return (
        subprocess.run(bed.ssh_argv(host, ["true"]), capture_output=True, timeout=10).returncode
        == 0
    )


def test_host_killed_mid_deploy_is_named_others_keep_serving_rerun_converges(
    svc: Service, bed: Bed
) -> None:
    deploy = svc.popen("deploy", "--skip-push", "--version", "slow-start")
    assert deploy.stdout is not None
    seen = []
    for line in deploy.stdout:
        seen.append(line)
        if "h2  web: boot fail-web-slow-start" in line:
            _kill_sshd(bed, "h2")
            break
    out = "".join(seen) + deploy.communicate(timeout=120)[0]
    try:
        assert deploy.returncode == 1, out
        assert "h2: unreachable over ssh" in out
        for host in ("h1", "h3"):
            assert svc.get(host) == (200, "v1\n")
    finally:
        _restart_sshd(bed, "h2")
    assert svc.get("h2") == (200, "v1\n")  # its proxy and app never stopped
    rerun = svc.kamalpy("deploy", "--skip-push", "--version", "slow-start")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for host in HOSTS:
        assert svc.get(host) == (200, "slow-start\n")
