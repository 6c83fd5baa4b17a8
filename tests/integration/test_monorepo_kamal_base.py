"""Hosts deployed by the real Kamal 2.11 (no kamalpy labels): the base comes from the name.

Kamal names containers `<service>-<role>-<git sha>`; kamalpy computes that revision's image
digest from git objects. Same inputs: deploy without a build (recording the labels). Changed
inputs since: build and deploy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bench.bench_deploy import kamal_binary
from tests.integration.deploy_support import REPO
from tests.testbed import Bed, images

SERVICE = "kbase"


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()  # fmt: skip


def _commit(root: Path, message: str) -> str:
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def repo(bed: Bed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("kbase") / "repo"
    folder = root / "services" / SERVICE
    (folder / "www").mkdir(parents=True)
    (folder / "www" / "version").write_text("kbase 1\n")
    (folder / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\nCOPY www/ /www/\n")
    config = {
        "service": SERVICE,
        "image": SERVICE,
        "primary_role": "workers",
        "servers": {"workers": {"hosts": [bed.host("h1").ip, bed.host("h2").ip], "proxy": False}},
        "registry": {
            "server": bed.registry,
            "username": bed.registry_user,
            "password": ["KAMAL_REGISTRY_PASSWORD"],
        },
        "builder": {"arch": "amd64", "args": {"BASE": images.build_app("v1")}},
        "ssh": {"config": bed.ssh_config},
        "readiness_delay": 1,
        "drain_timeout": 2,
    }
    (folder / "deploy.yml").write_text(yaml.safe_dump(config))
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n")
    (root / ".gitignore").write_text(".kamal/\n")
    _git(root.parent, "init", "-q", "-b", "main", str(root))
    _commit(root, "kbase 1")
    yield root
    for host in ("h1", "h2"):
        subprocess.run(["ssh", "-F", bed.ssh_config, host, "--",
                        f"docker ps -aq --filter label=service={SERVICE} | xargs -r docker rm -f"],
                       check=False, capture_output=True)  # fmt: skip


def _env(bed: Bed) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "KAMAL_REGISTRY_PASSWORD": bed.registry_password,
            "DOCKER_CONFIG": bed.docker_config}  # fmt: skip


def kamalpy(bed: Bed, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kamalpy", *args], cwd=root, env=_env(bed),
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def kamal_deploy(bed: Bed, root: Path) -> None:
    """Build and push with kamalpy (no buildx here), then deploy with the real Kamal."""
    pushed = kamalpy(bed, root, "build", "push", "-s", SERVICE)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    done = subprocess.run(
        [kamal_binary(), "deploy", "--skip-push", "-c", f"services/{SERVICE}/deploy.yml"],
        cwd=root, env=_env(bed), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def plan(bed: Bed, root: Path) -> dict[str, object]:
    result = kamalpy(bed, root, "plan", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    (service,) = json.loads(result.stdout)["services"]
    return dict(service)


@pytest.mark.kamal_compat
def test_kamal_deployed_revision_with_same_inputs_deploys_without_a_build(
    bed: Bed, repo: Path
) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    kamal_deploy(bed, repo)
    decided = plan(bed, repo)
    assert (decided["decision"], decided["build"], decided["deploy"]) == (
        "unknown-base", False, True,
    )  # fmt: skip
    assert decided["base_revisions"] == [head]
    codes = [r["code"] for r in decided["reasons"]]  # type: ignore[union-attr]
    assert codes == ["no-labels", "runtime-unknown"]
    result = kamalpy(bed, repo, "-v", "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docker build" not in result.stdout + result.stderr
    assert plan(bed, repo)["decision"] == "skip"


@pytest.mark.kamal_compat
def test_kamal_deployed_revision_with_other_inputs_builds(bed: Bed, repo: Path) -> None:
    (repo / "services" / SERVICE / "www" / "version").write_text("kbase 2\n")
    _commit(repo, "kbase 2")
    kamal_deploy(bed, repo)  # Kamal runs kbase 2 now, without labels
    (repo / "services" / SERVICE / "www" / "version").write_text("kbase 3\n")
    _commit(repo, "kbase 3")
    decided = plan(bed, repo)
    assert (decided["decision"], decided["build"]) == ("unknown-base", True)
    assert [r["code"] for r in decided["reasons"]] == ["no-labels", "image-changed"]  # type: ignore[union-attr]
