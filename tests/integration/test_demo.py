"""`kamalpy demo` on this machine's root dockerd: v1 → v2 with no failed request, rerun, remove.

Runs the real CLI as a subprocess, exactly as the README's first command does (nox adds only the
venv). Skipped (failed in CI) by the integration conftest when root/docker are missing.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ci import unavailable

PORT = 47080  # the embedded deploy.yml's proxy.run.http_port (127.0.0.1 only)


def _kamalpy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kamalpy", *args],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip


def _docker_lines(*args: str) -> list[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return done.stdout.split()


def _demo_objects() -> list[str]:
    """Every Docker object the demo could have left: containers, proxy, images."""
    containers = _docker_lines("ps", "-a", "--filter", "label=service=kamalpy-demo",
                               "--format", "{{.Names}}")  # fmt: skip
    proxy = _docker_lines("ps", "-a", "--filter", "name=^kamal-proxy$", "--format", "{{.Image}}")
    images = [
        ref
        for ref in _docker_lines("image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
        if "kamalpy-demo/" in ref
    ]
    return containers + [p for p in proxy if "kamalpy-demo" in p] + images


def _get(path: str = "/") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A private demo directory; refuses to run over a demo someone left running here."""
    if _demo_objects():
        message = "a kamalpy demo already runs on this engine (kamalpy demo --remove)"
        unavailable(message)
    return tmp_path / "demo"


def test_demo_deploys_v2_without_failed_requests_reruns_and_removes_everything(
    demo_dir: Path,
) -> None:
    first = _kamalpy("demo", "--dir", str(demo_dir))
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        assert "v1 → v2" in first.stdout and ", 0 failed;" in first.stdout, first.stdout
        assert "localhost  web: switch proxy to kamalpy-demo-web-v2  ok" in first.stdout
        assert _get() == (200, "hello from the kamalpy demo, version v2\n")

        again = _kamalpy("demo", "--dir", str(demo_dir))
        assert again.returncode == 0, again.stdout + again.stderr
        assert ", 0 failed;" in again.stdout
        assert _get()[1].endswith("version v2\n")
    finally:
        removed = _kamalpy("demo", "--remove", "--dir", str(demo_dir))
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "proxy container kamal-proxy" in removed.stdout
    assert _demo_objects() == []
    assert not demo_dir.exists()
    with pytest.raises(OSError):
        _get()
    assert _kamalpy("demo", "--remove", "--dir", str(demo_dir)).stdout.strip() == (
        "removed: nothing was left"
    )
