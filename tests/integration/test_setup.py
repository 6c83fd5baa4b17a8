"""Acceptance: `setup` says what is missing and its fix; twice on ready hosts changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

from tests.integration.deploy_support import HOSTS, Service, service_fixture
from tests.testbed import Bed, images

ACCESSORY = """\
accessories:
  db:
    image: {registry}/store:v1
    host: h2
    directories:
      - data:/data
"""


svc = service_fixture(
    "ready", extra=lambda bed: ACCESSORY.format(registry=bed.registry),
    prepare=lambda bed, _: images.publish_store(bed, "v1"),
)  # fmt: skip


def state(svc: Service, host: str) -> str:
    """What setup could change on a host (the audit log aside: it records each run)."""
    return svc.ssh(
        host,
        "docker ps -a --format '{{.ID}} {{.Names}} {{.State}} {{.Image}}' | sort; "
        "find .kamal ready-db -path .kamal/ready-audit.log -prune -o -printf '%p %m %s\\n' "
        "2>/dev/null | sort; cat .kamal/proxy/dynamic/*.yml 2>/dev/null; "
        "docker network ls --format '{{.Name}}' | sort",
    )


def test_unusable_docker_is_reported_with_its_fix_and_nothing_changes(
    svc: Service, bed: Bed
) -> None:
    socket = Path(bed.host("h3").docker_socket)
    before = {h: state(svc, h) for h in ("h1", "h2")}
    os.rename(socket, socket.with_suffix(".off"))
    try:
        result = svc.kamalpy("setup", "--skip-push", "--version", "v1")
    finally:
        os.rename(socket.with_suffix(".off"), socket)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "h3: Docker is installed but root cannot use it" in result.stderr
    assert "fix: start it (sudo systemctl enable --now docker)" in result.stderr
    assert "h1:" not in result.stderr and "h2:" not in result.stderr
    assert {h: state(svc, h) for h in ("h1", "h2")} == before


def test_a_port_held_by_another_container_is_named(
    svc: Service, bed: Bed, app_images: dict[str, str]
) -> None:
    bed.docker_login("h1")
    # Another module on this bed may have booted our proxy on h1: the port must be free for
    # the foreign container (a later deploy boots our proxy again where it is missing).
    svc.ssh("h1", "docker rm -f kamal-proxy >/dev/null 2>&1 || true")
    started = bed.ssh("h1", "docker", "run", "-d", "--name", "other-proxy", "-p", "80:80",
                      app_images["v1"], check=False)  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        result = svc.kamalpy("setup", "--skip-push", "--version", "v1")
    finally:
        svc.ssh("h1", "docker rm -f other-proxy >/dev/null")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "h1: port 80 is published by container other-proxy" in result.stderr
    assert "fix: stop it: docker rm -f other-proxy" in result.stderr


def test_setup_twice_succeeds_and_the_second_run_changes_nothing(svc: Service) -> None:
    first = svc.kamalpy("setup", "--skip-push", "--version", "v1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "h2 (db): booted" in first.stdout
    for host in HOSTS:
        assert svc.get(host) == (200, "v1\n")
    after_first = {h: state(svc, h) for h in HOSTS}
    second = svc.kamalpy("setup", "--skip-push", "--version", "v1")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "h2 (db): already booted" in second.stdout
    assert {h: state(svc, h) for h in HOSTS} == after_first
