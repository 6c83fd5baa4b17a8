"""The example monorepo at this repository's top level, copied into a git repository of its own
and pointed at the bed by a `deploy.bed.yml` overlay per service (hosts, registry, ssh, base).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from kamalpy.demo.workspace import EXAMPLE_PATHS, IDENTITY, copy_example
from kamalpy.secrets import load_identity, set_secrets
from tests.integration.deploy_support import REPO
from tests.integration.monorepo_support import Monorepo
from tests.testbed import Bed

NOXFILE = "import kamalpy.nox\n\nkamalpy.nox.register(destination='bed')\n"
HOSTS = {"web": ["h1", "h2"], "api": ["h1", "h2"], "worker": ["h3"]}


def _overlay(bed: Bed, service: str, base: str) -> dict[str, object]:
    overlay: dict[str, object] = {
        "servers": {"web": {"hosts": HOSTS[service]}},
        "registry": {"server": bed.registry, "username": bed.registry_user,
                     "password": ["KAMAL_REGISTRY_PASSWORD"]},
        "builder": {"args": {"BASE": base}},
        "ssh": {"config": bed.ssh_config},
        "readiness_delay": 1,
        "deploy_timeout": 20,
        "drain_timeout": 2,
    }  # fmt: skip
    if service != "worker":
        overlay["proxy"] = {"host": f"{service}.test", "run": {"registry": bed.registry}}
    if service == "web":
        overlay["env"] = {"clear": {"API_HOST": "api.test"}}
    if service == "api":
        overlay["accessories"] = {"redis": {"host": "h1"}}
    if service != "web":
        # No accessory is booted on the bed yet (no `kamalpy accessory` on main): an address
        # that refuses at once, where the unknown name `api-redis` waits on the bed's resolver.
        overlay["env"] = {"clear": {"REDIS_HOST": "127.0.0.1"}}
    return overlay


def make_example(bed: Bed, root: Path, base: str) -> Monorepo:
    """Copy the example, add the bed overlays and the bed's secrets (demo-only key), commit."""
    identity_text = (REPO / IDENTITY).read_text()
    key = next(line for line in identity_text.splitlines() if line.startswith("AGE-SECRET-KEY-"))
    repo = Monorepo(bed, root, key)
    root.mkdir(parents=True)
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "--", *EXAMPLE_PATHS],
                            capture_output=True, text=True, check=True)  # fmt: skip
    copy_example(REPO, listed.stdout.splitlines(), root)
    for service in HOSTS:
        repo.write(f"services/{service}/deploy.bed.yml",
                   yaml.safe_dump(_overlay(bed, service, base), sort_keys=False))  # fmt: skip
    repo.write("noxfile.py", NOXFILE)
    who = load_identity({"KAMALPY_IDENTITY": key}, root)
    set_secrets(root, "common", "bed", {"KAMAL_REGISTRY_PASSWORD": bed.registry_password}, who)
    set_secrets(root, "api", "bed", {"API_TOKEN": "bed-token"}, who)
    repo.git("init", "-q", "-b", "main")
    repo.commit("the example monorepo, pointed at the bed")
    return repo
