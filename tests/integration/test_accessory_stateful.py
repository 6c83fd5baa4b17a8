"""Acceptance: a stateful accessory keeps its data across reboot and upgrade; app deploys leave it.

Also checks Kamal compatibility for real: Kamal 2.11's `kamal accessory details` finds the
accessory kamalpy booted (same container name, label and paths).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.deploy_support import Service, service_fixture
from tests.testbed import Bed, images

KAMAL = Path(sys.executable).parent / "kamal"


def accessories(bed: Bed, variant: str) -> str:
    return f"""\
accessories:
  db:
    image: {bed.registry}/store:{variant}
    host: h1
    port: "127.0.0.1:6100:80"
    labels:
      tier: data
    env:
      clear:
        MODE: "a b"
      secret:
        - DB_PASSWORD
    files:
      - config/db.conf.erb:/etc/db.conf
    directories:
      - data:/data
"""


def _store_and_files(bed: Bed, service: Service) -> None:
    for variant in ("v1", "v2"):
        images.publish_store(bed, variant)
    root = service.root
    (root / "config" / "db.conf.erb").write_text('greeting=<%= ENV["GREETING_WORD"] %>\n')
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text(
        "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\nDB_PASSWORD=$DB_PASSWORD\n"
    )


svc = service_fixture(
    "shop", ("v1", "v2"), extra=lambda bed: accessories(bed, "v1"), prepare=_store_and_files,
    workers=False,
)  # fmt: skip


def run(svc: Service, *args: str) -> str:
    result = svc.kamalpy(*args, extra_env={"GREETING_WORD": "hi"})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def container_id(svc: Service) -> str:
    return svc.ssh("h1", "docker inspect -f '{{.Id}}' shop-db").strip()


def in_db(svc: Service, script: str) -> str:
    return svc.ssh("h1", f"docker exec shop-db sh -c '{script}'")


def test_boot_uploads_rendered_files_and_a_0600_env_file(svc: Service) -> None:
    assert "h1 (db): booted" in run(svc, "accessory", "boot", "db")
    assert in_db(svc, "cat /etc/db.conf") == "greeting=hi\n"
    assert in_db(svc, "cat /data/boots") == "v1\n"
    env = svc.ssh("h1", "docker inspect -f '{{join .Config.Env \"|\"}}' shop-db")
    assert "MODE=a b" in env and "DB_PASSWORD=s3cret 'quoted' $(id)" in env
    assert "s3cret" not in svc.ssh("h1", "docker inspect -f '{{json .Config.Cmd}}' shop-db")
    mode = svc.ssh("h1", "stat -c '%a' .kamal/apps/shop/env/accessories/db.env").strip()
    assert mode == "600"
    labels = svc.ssh("h1", "docker inspect -f '{{json .Config.Labels}}' shop-db")
    assert '"service":"shop-db"' in labels and '"tier":"data"' in labels
    # A second boot leaves the running container alone.
    first = container_id(svc)
    assert "already booted" in run(svc, "accessory", "boot", "all")
    assert container_id(svc) == first


def test_real_kamal_reads_the_accessory_kamalpy_booted(svc: Service) -> None:
    done = subprocess.run(
        [str(KAMAL), "accessory", "details", "db"], cwd=svc.root, env=svc.env(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shop-db" in done.stdout and "Up " in done.stdout


def test_data_survives_reboot(svc: Service) -> None:
    in_db(svc, "echo kept > /data/kept")
    before = container_id(svc)
    assert "h1 (db): rebooted" in run(svc, "accessory", "reboot", "db")
    assert container_id(svc) != before
    assert in_db(svc, "cat /data/kept") == "kept\n"
    assert in_db(svc, "cat /data/boots") == "v1\nv1\n"


def test_data_survives_upgrade_to_a_new_image(svc: Service) -> None:
    config = svc.root / "config" / "deploy.yml"
    config.write_text(config.read_text().replace("store:v1", "store:v2"))
    assert "h1 (db): upgraded" in run(svc, "accessory", "upgrade", "db")
    image = svc.ssh("h1", "docker inspect -f '{{.Config.Image}}' shop-db").strip()
    assert image.endswith("/store:v2")
    assert in_db(svc, "cat /data/kept") == "kept\n"
    assert in_db(svc, "cat /data/boots") == "v1\nv1\nv2\n"


def test_three_app_deploys_leave_the_accessory_running(svc: Service) -> None:
    before = container_id(svc)
    started = svc.ssh("h1", "docker inspect -f '{{.State.StartedAt}}' shop-db")
    for version in ("v1", "v2", "v1"):
        run(svc, "deploy", "--skip-push", "--version", version)
        assert svc.get("h1") == (200, f"{version}\n")
    assert container_id(svc) == before
    assert svc.ssh("h1", "docker inspect -f '{{.State.StartedAt}}' shop-db") == started
    assert in_db(svc, "cat /data/boots") == "v1\nv1\nv2\n"


def test_stop_start_details_logs_exec(svc: Service) -> None:
    run(svc, "accessory", "stop", "db")
    assert svc.ssh("h1", "docker inspect -f '{{.State.Running}}' shop-db").strip() == "false"
    run(svc, "accessory", "start", "db")
    assert "shop-db" in run(svc, "accessory", "details", "db")
    assert "kept" in run(svc, "accessory", "exec", "db", "--", "cat", "/data/kept")


def test_remove_without_yes_and_without_a_terminal_refuses(svc: Service) -> None:
    result = svc.kamalpy("accessory", "remove", "db")
    assert result.returncode == 2
    assert "-y" in result.stderr
    assert container_id(svc)


def test_remove_leaves_no_container_directory_or_env_file(svc: Service) -> None:
    assert "h1 (db): removed" in run(svc, "accessory", "remove", "db", "-y")
    left = svc.ssh(
        "h1",
        "docker ps -a -q --filter label=service=shop-db; ls -d shop-db 2>/dev/null; "
        "ls .kamal/apps/shop/env/accessories/ 2>/dev/null; true",
    )
    assert left.strip() == ""
    assert svc.get("h1") == (200, "v1\n")  # the app keeps serving
