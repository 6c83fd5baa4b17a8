"""The version of a service built from the working tree follows git, dirty trees included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY_YML = """\
service: api
image: acme/api
servers: [10.0.0.1]
registry:
  server: localhost:5555
builder:
  arch: amd64
  context: .
"""


def _git(repo: Path, *argv: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)
    return done.stdout.decode().strip()


def _version(repo: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "VERSION"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-m", "kamalpy", "config", "-s", "api", "--json"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )
    return str(json.loads(done.stdout)["version"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "services/api").mkdir(parents=True)
    (tmp_path / "services/api/deploy.yml").write_text(DEPLOY_YML)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    return tmp_path


def test_clean_tree_version_is_the_full_head_sha(repo: Path) -> None:
    assert _version(repo) == _git(repo, "rev-parse", "HEAD")


def test_dirty_tree_with_a_build_context_gets_the_uncommitted_suffix(repo: Path) -> None:
    (repo / "services/api/app.py").write_text("print('changed')\n")
    head = _git(repo, "rev-parse", "HEAD")
    version = _version(repo)
    prefix, _, nonce = version.partition("_uncommitted_")
    assert prefix == head
    assert len(nonce) == 16 and int(nonce, 16) >= 0
