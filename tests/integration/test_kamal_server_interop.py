"""Issue 12's server differences, on the bed, against the real Kamal 2.11 where it reads our work.

- `kamal audit` on a multi-host service kamalpy deployed: every host has the audit log.
- `ssh.proxy` naming a host that is also a server: that host is reached directly.
- `app remove` leaves what Kamal's leaves (the audit log, with the removal in it) and no
  app directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.deploy_support import HOSTS, Service, make_service, publish
from tests.testbed import Bed

pytestmark = pytest.mark.integration


def _kamal() -> str:
    found = shutil.which("kamal") or str(Path(sys.executable).with_name("kamal"))
    if not Path(found).exists():
        pytest.skip("the real kamal (2.11, the test extra) is not installed")
    return found


@pytest.fixture(scope="module")
def audited(
    bed: Bed,
    app_images: dict[str, str],
    traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    publish(bed, "audited", ("v1",))
    service = make_service(bed, tmp_path_factory.mktemp("audited"), "audited", workers=False)
    (service.root / ".kamal").mkdir()
    (service.root / ".kamal" / "secrets").write_text(
        f"KAMAL_REGISTRY_PASSWORD={bed.registry_password}\nDB_PASSWORD=x\n"
    )
    result = service.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    yield service


def test_kamal_audit_reads_the_log_kamalpy_wrote_on_every_host(audited: Service) -> None:
    for host in HOSTS:
        log = audited.ssh(host, "cat .kamal/audited-audit.log")
        assert "Deployed audited version v1 (web)" in log, host
    result = subprocess.run(
        [_kamal(), "audit"],
        cwd=audited.root,
        env={**audited.env(), "VERSION": "v1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Deployed audited version v1 (web)") == len(HOSTS)


def test_app_remove_leaves_what_kamal_leaves_and_records_it(audited: Service) -> None:
    result = audited.kamalpy("app", "remove")
    assert result.returncode == 0, result.stdout + result.stderr
    for host in HOSTS:
        state = audited.ssh(
            host,
            "docker ps -aq --filter label=service=audited | wc -l; "
            "test -e .kamal/apps/audited && echo app-dir-left; cat .kamal/audited-audit.log",
        )
        lines = state.splitlines()
        assert lines[0].strip() == "0", host
        assert "app-dir-left" not in state, host
        assert re.search(r"\] \[web\] Removed all app containers$", state, re.MULTILINE), host
        assert "Removed all app images" in state, host
        assert "Removed .kamal/apps/audited" in state, host


@pytest.fixture(scope="module")
def bastion(
    bed: Bed,
    app_images: dict[str, str],
    traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Service:
    publish(bed, "bastion", ("v1",))
    service = make_service(bed, tmp_path_factory.mktemp("bastion"), "bastion", workers=False)
    path = service.root / "config" / "deploy.yml"
    # The server is also the jump host (written as user@IP, as real files do). The bed's
    # hosts cannot reach each other (only the root side reaches them), so the other hosts'
    # jump through it is pinned by tests/unit/commands/test_ssh.py instead.
    ip = bed.host("h1").ip
    text = path.read_text().replace("hosts: [h1, h2, h3]", f"hosts: [{ip}]")
    path.write_text(text.replace("ssh:\n", f"ssh:\n  proxy: root@{ip}\n", 1))
    return service


def test_a_bastion_that_also_serves_is_deployed_directly(bastion: Service) -> None:
    result = bastion.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "jumphost loop" not in result.stdout + result.stderr
    assert bastion.get("h1") == (200, "v1\n")
