"""`kamalpy demo` on this machine's root dockerd: the example monorepo, change detection, rerun,
remove.

Runs the real CLI as a subprocess, as `nox -s demo` does (nox adds only the venv). Skipped
(failed in CI) by the integration conftest when root/docker are missing.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ci import unavailable

PORT = 47080  # the example's deploy.local.yml: proxy.run.http_port (127.0.0.1 only)
REPO = Path(__file__).resolve().parents[2]


def _kamalpy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kamalpy", *args], cwd=REPO,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _docker_lines(*args: str) -> list[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def _demo_objects() -> list[str]:
    """Every Docker object the demo could have left: containers, proxy, images."""
    containers = [
        line for line in _docker_lines("ps", "-a", "--format", "{{.Names}} {{.Image}}")
        if "kamalpy-example/" in line or "kamalpy-demo/" in line
    ]  # fmt: skip
    images = [
        ref
        for ref in _docker_lines("image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
        if ref.startswith(("kamalpy-example/", "localhost:5555/kamalpy-example/", "kamalpy-demo/"))
    ]
    return containers + images


def _get(host: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A private demo directory; refuses to run over a demo someone left running here."""
    if any("kamal-proxy" in c or "kamalpy-example" in c for c in _demo_objects()):
        message = "a kamalpy demo already runs on this engine (kamalpy demo --remove)"
        unavailable(message)
    return tmp_path / "demo"


def test_demo_deploys_the_monorepo_redeploys_only_dependents_then_nothing(
    demo_dir: Path,
) -> None:
    first = _kamalpy("demo", "--dir", str(demo_dir))
    try:
        out = first.stdout + first.stderr
        assert first.returncode == 0, out[-6000:]
        assert "3 of 3 services to deploy (3 to build)." in out
        # After the edit of libs/common: api and worker, never web.
        second_plan = out.split("changed libs/common", 1)[1]
        assert "2 of 3 services to deploy (2 to build)." in second_plan
        assert "  web     skip" in second_plan
        assert f"http://api.localhost:{PORT}/  ->  hello again from api" in out
        status, body = _get("web.localhost")
        assert status == 200 and body.startswith("hello from web\napi says: hello again from api")
        # The redis accessory booted: api counts its visits there and reads the worker's ticks.
        counted = re.fullmatch(r"hello again from api; visits (\d+), worker ticks (\d+)\n",
                               _get("api.localhost")[1])  # fmt: skip
        assert counted and int(counted[1]) >= 2 and int(counted[2]) >= 1, counted

        again = _kamalpy("demo", "--dir", str(demo_dir))
        assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]
        assert "Nothing to deploy." in again.stdout
        assert " build " not in again.stdout
    finally:
        removed = _kamalpy("demo", "--remove", "--dir", str(demo_dir))
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "proxy container kamal-proxy" in removed.stdout
    assert [o for o in _demo_objects() if "kamalpy-demo/python" not in o] == []
    assert not demo_dir.exists()
    with pytest.raises(OSError):
        _get("web.localhost")
