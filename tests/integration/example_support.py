"""The example monorepo at this repository's top level, copied into a git repository of its own
and pointed at the bed by a `deploy.bed.yml` overlay per service (hosts, registry, ssh, base).

As in production (deploy.yml: one host), the three services and api's redis accessory share one
host, h1: api and worker reach the store by its Kamal name, `api-redis`, on h1's `kamal` network,
and web asks api through h1's proxy. (The bed's hosts do not reach each other, only the root
side, so a second web or api host could reach neither api nor the store.)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import yaml

from kamalpy.demo.workspace import EXAMPLE_PATHS, IDENTITY, copy_example
from kamalpy.secrets import load_identity, set_secrets
from tests.integration.deploy_support import REPO
from tests.integration.monorepo_support import Monorepo
from tests.testbed import Bed, baseimages, images, proc

NOXFILE = "import kamalpy.nox\n\nkamalpy.nox.register(destination='bed')\n"
HOSTS = {"web": ["h1"], "api": ["h1"], "worker": ["h1"]}
STORE_HOST = "h1"  # api's redis accessory
REDIS = REPO / "accessories" / "redis"
REDIS_IMAGE = "kamalpy-example/redis:7"  # the name deploy.yml gives it, under the bed's registry


def publish_redis(bed: Bed) -> str:
    """The example's redis image for the bed, pushed; its reference.

    Built as the demo builds it (the example's own Dockerfile: Debian's redis-server) on the bed's
    python base, without any pull; tagged by content in the bed's local cache, so a rerun on this
    machine reuses it, and built under a lock, so parallel beds build it once.
    """
    base = baseimages.build_python()
    base_id = proc.run(["docker", "image", "inspect", "-f", "{{.Id}}", base]).strip()
    digest = hashlib.sha256(base_id.encode())
    for path in sorted(REDIS.rglob("*")):
        if path.is_file():
            digest.update(f"\0{path.relative_to(REDIS)}\0".encode() + path.read_bytes())
    local = f"{images.LOCAL}/example-redis:{digest.hexdigest()[:16]}"
    fd = images.cache_lock("example-redis")
    try:
        if not images._exists(local):
            proc.run(["env", "DOCKER_BUILDKIT=0", "docker", "build", "-q",
                      "--build-arg", f"BASE={base}", "-t", local, str(REDIS)])  # fmt: skip
    finally:
        os.close(fd)
    return images.publish(bed, local, f"{bed.registry}/{REDIS_IMAGE}")


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
        image = f"{bed.registry}/{REDIS_IMAGE}"
        overlay["accessories"] = {"redis": {"host": STORE_HOST, "image": image}}
    if service == "worker":
        overlay["env"] = {"clear": {"INTERVAL": "0.5"}}  # REDIS_HOST stays deploy.yml's api-redis
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


def kamalpy_ok(repo: Monorepo, *args: str) -> str:
    """`kamalpy ARGS` in the example, which must succeed; its stdout."""
    done = repo.kamalpy(*args)
    assert done.returncode == 0, f"kamalpy {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def redis_get(repo: Monorepo, key: str) -> int:
    """A counter read back from the store by `kamalpy accessory exec` and redis-cli (0: unset)."""
    out = kamalpy_ok(repo, "accessory", "exec", "-s", "api", "-d", "bed", "redis",
                     "redis-cli", "GET", key)  # fmt: skip
    header = f"{STORE_HOST} (redis):"  # then redis-cli's answer: a number, or nothing if unset
    value = out.split(header, 1)[1].strip() if header in out else "?"
    assert value.isdigit() or value == "", f"redis-cli GET {key}: {out!r}"
    return int(value or 0)


def remove_example(repo: Monorepo) -> list[str]:
    """Remove what the example put on the bed: its apps and the accessory (the proxy stays,
    other modules on this bed use it); the failures, if any."""
    failed = []
    for args in [("app", "remove", "-s", service, "-d", "bed") for service in HOSTS] + [
        ("accessory", "remove", "redis", "-y", "-s", "api", "-d", "bed")
    ]:
        done = repo.kamalpy(*args)
        if done.returncode != 0:
            failed.append(f"kamalpy {' '.join(args)}: {(done.stdout + done.stderr)[-500:]}")
    return failed
