"""Deploys whose secrets come from the encrypted store, run with a minimal environment."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from kamalpy.secrets import init, load_identity, set_secrets
from kamalpy.secrets.age import AgeIdentity
from tests.integration.deploy_support import REPO, deploy_yml
from tests.testbed import Bed, images


@dataclass
class StoreService:
    """A service directory with `secrets/` beside `config/`, and the CI key that reads it."""

    bed: Bed
    name: str
    root: Path
    key: str  # AGE-SECRET-KEY-1…

    def write_config(
        self,
        secret_env: list[str],
        hosts: tuple[str, ...] = ("h1",),
        health_path: str = "/up",
        cmd: str | None = None,
        tagged_secret_env: list[str] | None = None,
    ) -> None:
        """deploy.yml for the bed with exactly these `env.secret` entries (NAME or NAME:SECRET).

        With `tagged_secret_env`, the first host carries the tag `tagged`, whose env adds those.
        """
        config = yaml.safe_load(deploy_yml(self.bed, self.name, workers=False))
        listed: list[object] = list(hosts)
        if tagged_secret_env:
            listed[0] = {hosts[0]: ["tagged"]}
            config["env"]["tags"] = {"tagged": {"secret": tagged_secret_env}}
        config["servers"]["web"] = {"hosts": listed, **({"cmd": cmd} if cmd else {})}
        config["env"]["secret"] = secret_env
        config["proxy"]["healthcheck"]["path"] = health_path
        (self.root / "config").mkdir(parents=True, exist_ok=True)
        (self.root / "config" / "deploy.yml").write_text(yaml.safe_dump(config))

    def store(self, values: dict[str, str]) -> None:
        """Set values in `secrets/<service>/default.secrets` (through the Python API)."""
        identity = load_identity({"KAMALPY_IDENTITY": self.key}, self.root)
        set_secrets(self.root, self.name, None, values, identity)

    def env(self, home: Path) -> dict[str, str]:
        """Only what a CI job would have: PATH, the key, an empty HOME; no secret values."""
        return {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(REPO),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "KAMALPY_IDENTITY": self.key,
        }

    def kamalpy(self, home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
        """Run `python -m kamalpy ARGS` in the service directory with `env(home)`."""
        return subprocess.run(
            [sys.executable, "-m", "kamalpy", *args], cwd=self.root, env=self.env(home),
            capture_output=True, timeout=180,
        )  # fmt: skip

    def publish_env_image(self, version: str) -> None:
        """Push the `:env` app (serves PID 1's environment at /env) as this version."""
        ref = f"{self.bed.registry}/{self.name}:{version}"
        images.publish(self.bed, images.build_app("env", self.name), ref)

    def container_environ(self, host: str) -> dict[bytes, bytes]:
        """PID 1's environment in the serving container, byte-exact, through the host's proxy."""
        conn = http.client.HTTPConnection(self.bed.host(host).ip, 80, timeout=10)
        try:
            conn.request("GET", "/env", headers={"Host": f"{self.name}.test"})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, body[:200]
        finally:
            conn.close()
        return dict(item.split(b"=", 1) for item in body.split(b"\0") if b"=" in item)

    def ssh_out(self, host: str, script: str) -> str:
        """Run a shell snippet on a bed host; its stdout."""
        return subprocess.run(
            ["ssh", "-F", self.bed.ssh_config, host, "--", script],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip

    def cleanup_script(self) -> str:
        """Shell that removes this service's containers, env files, route and audit log."""
        return (
            f"docker ps -aq --filter label=service={self.name} | xargs -r docker rm -f >/dev/null; "
            f"rm -rf .kamal/apps/{self.name} .kamal/proxy/dynamic/{self.name}-*.yml "
            f".kamal/{self.name}-audit.log"
        )

    def host_state(self, host: str) -> str:
        """Containers and files under .kamal on a host: what a refused deploy must not change."""
        return self.ssh_out(
            host,
            "docker ps -a --format '{{.ID}} {{.Names}} {{.State}}' | sort; "
            "find .kamal -printf '%p %m %s %T@\\n' 2>/dev/null | sort",
        )


def make_store_service(bed: Bed, root: Path, name: str) -> StoreService:
    """A service whose store is readable by a fresh CI key; the registry password is in it."""
    key = AgeIdentity.generate()
    root.mkdir(parents=True, exist_ok=True)
    init(root, "ci", key.recipient())
    service = StoreService(bed, name, root, key.encode())
    service.store({"KAMAL_REGISTRY_PASSWORD": bed.registry_password})
    return service
