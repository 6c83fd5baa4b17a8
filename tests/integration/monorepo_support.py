"""A real git monorepo for the bed: four services, a shared library, a repo-root context, secrets.

- `web`  (h1-h3, proxied): its own folder only.
- `api`  (h1-h2, proxied): repo-root build context; uses `libs/common` (uv path dependency).
- `jobs` (h3, no proxy): uses `libs/common` (uv path dependency); service-folder context.
- `admin` (h1, proxied): a secret `ADMIN_TOKEN` from the store.
Images are FROM the bed's busybox httpd base (built locally, never pulled); each serves
`/version` from its own folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from kamalpy.secrets import init, load_identity, set_secrets
from kamalpy.secrets.age import AgeIdentity
from tests.integration.deploy_support import REPO
from tests.testbed import Bed, images

SERVICES = ("admin", "api", "jobs", "web")
HOSTS = {"web": ["h1", "h2", "h3"], "api": ["h1", "h2"], "jobs": ["h3"], "admin": ["h1"]}


def _deploy_yml(bed: Bed, name: str, base: str) -> dict[str, object]:
    proxied = name != "jobs"
    role: dict[str, object] = {"hosts": HOSTS[name]}
    if not proxied:
        role.update(proxy=False)
    config: dict[str, object] = {
        "service": name,
        "image": f"mono-{name}",
        "servers": {"web": role},
        "registry": {
            "server": bed.registry,
            "username": bed.registry_user,
            "password": ["KAMAL_REGISTRY_PASSWORD"],
        },
        "builder": {"arch": "amd64", "args": {"BASE": base}},
        "env": {"clear": {"GREETING": f"hello from {name}"}},
        "ssh": {"config": bed.ssh_config},
        "readiness_delay": 1,
        "deploy_timeout": 6,
        "drain_timeout": 2,
    }
    if proxied:
        config["proxy"] = {
            "host": f"mono-{name}.test",  # unique on a bed other modules also deploy to
            "app_port": 80,
            "healthcheck": {"path": "/health", "interval": 1},
            "run": {"registry": bed.registry},
        }
    if name == "api":
        config["builder"] = {**config["builder"], "context": "../..",  # type: ignore[dict-item]
                             "dockerfile": "Dockerfile"}  # fmt: skip
    if name == "admin":
        config["env"] = {**config["env"], "secret": ["ADMIN_TOKEN"]}  # type: ignore[dict-item]
    return config


DOCKERFILE = "ARG BASE\nFROM ${BASE}\nCOPY www/ /www/\n"
API_DOCKERFILE = (
    "ARG BASE\nFROM ${BASE}\nCOPY services/api/www/ /www/\nCOPY libs/common/ /www/common/\n"
)


def _pyproject(name: str, uses_common: bool) -> str:
    deps = '["common"]' if uses_common else "[]"
    text = f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = {deps}\n'
    if uses_common:
        text += '\n[tool.uv.sources]\ncommon = { path = "../../libs/common" }\n'
    return text


@dataclass
class Monorepo:
    """The repository, its CI key, and ways to change, commit and run kamalpy in it."""

    bed: Bed
    root: Path
    key: str

    def write(self, rel: str, text: str) -> None:
        """Write a file (parents created)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def git(self, *args: str) -> str:
        """Run git in the repository; its stdout."""
        return subprocess.run(
            ["git", "-C", str(self.root), *args], capture_output=True, text=True, check=True,
            env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"},
        ).stdout  # fmt: skip

    def commit(self, message: str) -> str:
        """Commit everything; the new HEAD."""
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def set_env(self, service: str, key: str, value: str) -> None:
        """Change one clear env value in a service's deploy.yml."""
        path = self.root / "services" / service / "deploy.yml"
        config = yaml.safe_load(path.read_text())
        config["env"]["clear"][key] = value
        path.write_text(yaml.safe_dump(config, sort_keys=False))

    def set_secret(self, service: str, values: dict[str, str]) -> None:
        """Set secrets in `secrets/<service>/default.secrets`."""
        identity = load_identity({"KAMALPY_IDENTITY": self.key}, self.root)
        set_secrets(self.root, service, None, values, identity)

    def env(self) -> dict[str, str]:
        """A CI-like environment: the key, PATH, no secret values."""
        return {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(REPO),
            "HOME": str(self.root.parent / "home"),
            "LANG": "C.UTF-8",
            "KAMALPY_IDENTITY": self.key,
        }

    def kamalpy(self, *args: str, cwd: Path | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """Run `python -m kamalpy ARGS` at the repository's root (or `cwd`)."""
        return subprocess.run(
            [sys.executable, "-m", "kamalpy", *args], cwd=cwd or self.root, env=self.env(),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def plan(self, cwd: Path | None = None) -> dict[str, dict[str, object]]:
        """`kamalpy plan --json`, by service."""
        result = self.kamalpy("plan", "--json", cwd=cwd)
        assert result.returncode == 0, result.stdout + result.stderr
        return {s["service"]: s for s in json.loads(result.stdout)["services"]}

    def ssh(self, host: str, script: str) -> str:
        """Run a snippet on a bed host; its stdout."""
        return subprocess.run(
            ["ssh", "-F", self.bed.ssh_config, host, "--", script],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip

    def container_ids(self) -> dict[str, str]:
        """`host/name -> id` of every running container of the monorepo's services."""
        out = {}
        for host in ("h1", "h2", "h3"):
            listing = self.ssh(host, "docker ps --format '{{.Names}} {{.ID}}'")
            for line in listing.split("\n"):
                if line.split(" ")[0].split("-")[0] in SERVICES:
                    name, cid = line.split()
                    out[f"{host}/{name.split('-')[0]}"] = cid
        return out


def make_monorepo(bed: Bed, root: Path) -> Monorepo:
    """Write and commit the example monorepo; its store holds the registry password."""
    base = images.build_app("v1")
    key = AgeIdentity.generate()
    repo = Monorepo(bed, root, key.encode())
    root.mkdir(parents=True)
    repo.git("init", "-q", "-b", "main")
    repo.write("README.md", "# mono\n")
    repo.write("pyproject.toml", '[tool.kamalpy]\nservices = "services/*/deploy.yml"\n')
    repo.write("libs/common/pyproject.toml", _pyproject("common", False))
    repo.write("libs/common/common.txt", "common 1\n")
    for name in SERVICES:
        folder = f"services/{name}"
        repo.write(f"{folder}/deploy.yml", yaml.safe_dump(_deploy_yml(bed, name, base)))
        repo.write(f"{folder}/www/version", f"{name} 1\n")
        repo.write(f"{folder}/www/health", "ok\n")
        repo.write(f"{folder}/pyproject.toml", _pyproject(name, name in ("api", "jobs")))
        repo.write(f"{folder}/Dockerfile", API_DOCKERFILE if name == "api" else DOCKERFILE)
    init(root, "ci", key.recipient())
    identity = load_identity({"KAMALPY_IDENTITY": repo.key}, root)
    set_secrets(root, "common", None, {"KAMAL_REGISTRY_PASSWORD": bed.registry_password}, identity)
    set_secrets(root, "admin", None, {"ADMIN_TOKEN": "token-1"}, identity)
    repo.commit("the example monorepo")
    return repo
