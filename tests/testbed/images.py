"""Test images, built without any pull and pushed to the bed's registry.

Apps are busybox httpd on port 80 FROM scratch. Their start script is PID 1 and traps
SIGTERM (PID 1 has no default signal actions, so a bare busybox would ignore `docker stop`);
`docker run --init` (Debian's docker-init) works as well.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tests.testbed import prereq, proc
from tests.testbed.spec import CACHE_ROOT, Bed
from tests.testbed.state import load

APPLETS = ("sh", "httpd", "sleep", "cat", "env", "kill", "wget", "echo", "ls", "printf")
VARIANTS = ("v1", "v2", "slow-start", "bad-up", "slow", "env")
LOCAL = "kamalpy-testbed"  # local cache repository in the root engine; registry tags are per bed
SLOW_START_SECONDS = 4

START = """#!/bin/sh
# PID 1: trap TERM/INT ourselves, otherwise docker stop waits for its full timeout.
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
{before}httpd -f -v -p 80 -h /www &
child=$!
wait "$child"
"""
SLOW_CGI = '#!/bin/sh\nsleep 2\nprintf "Content-Type: text/plain\\r\\n\\r\\nslow done\\n"\n'
# The raw environ of PID 1 as docker passed it: NUL-separated, byte-exact.
ENV_DUMP = "cat /proc/$$/environ > /www/env\ncat /proc/$$/environ\n"
SLOW_BOOT = f'sleep {SLOW_START_SECONDS} & child=$!; wait "$child"\n'


def app_files(variant: str) -> dict[str, str]:
    """Files (path in image -> text) of an app variant; executables live in /app and cgi-bin."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown app variant {variant!r}; known: {', '.join(VARIANTS)}")
    before = {"slow-start": SLOW_BOOT, "env": ENV_DUMP}.get(variant, "")
    files = {"app/start": START.format(before=before), "www/version": f"{variant}\n"}
    if variant != "bad-up":
        files["www/up"] = "ok\n"
    if variant == "slow":
        files["www/cgi-bin/slow"] = SLOW_CGI
    return files


def _write_context(root: Path, files: dict[str, str], binaries: dict[str, Path]) -> None:
    for rel, text in files.items():
        target = root / "rootfs" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(0o755 if rel.startswith(("app/", "www/cgi-bin/")) else 0o644)
    for rel, source in binaries.items():
        target = root / "rootfs" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    if "bin/busybox" in binaries:
        for applet in APPLETS:
            (root / "rootfs/bin" / applet).symlink_to("busybox")


def _digest(dockerfile: str, files: dict[str, str], binaries: dict[str, Path]) -> str:
    sha = hashlib.sha256(dockerfile.encode() + " ".join(APPLETS).encode())
    for rel, text in sorted(files.items()):
        sha.update(f"\0{rel}\0{text}".encode())
    for rel, source in sorted(binaries.items()):
        stat = source.stat()
        sha.update(f"\0{rel}\0{source.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return sha.hexdigest()[:16]


def _exists(ref: str) -> bool:
    return proc.run(["docker", "image", "inspect", ref], check=False).strip() not in ("", "[]")


def build_cached(
    name: str, dockerfile: str, files: dict[str, str], binaries: dict[str, Path]
) -> str:
    """Build FROM scratch on the root engine, tagged by content so a rerun is a no-op."""
    local = f"{LOCAL}/{name}:{_digest(dockerfile, files, binaries)}"
    if _exists(local):
        return local
    with tempfile.TemporaryDirectory(prefix="kamalpy-testbed-ctx-") as tmp:
        root = Path(tmp)
        _write_context(root, files, binaries)
        (root / "Dockerfile").write_text(dockerfile)
        env = ["env", "DOCKER_BUILDKIT=0"]  # legacy builder: no buildx needed, never pulls scratch
        proc.run([*env, "docker", "build", "-q", "-t", local, str(root)])
    return local


def app_dockerfile(service: str | None) -> str:
    """Dockerfile for an app variant, labelled service=<service> when asked."""
    label = f"LABEL service={service}\n" if service else ""
    return f'FROM scratch\nCOPY rootfs/ /\n{label}EXPOSE 80\nCMD ["/bin/sh", "/app/start"]\n'


def app_binaries() -> dict[str, Path]:
    """busybox; its applets are symlinks made in the build context."""
    return {"bin/busybox": Path(prereq.tool_path("busybox"))}


def build_app(variant: str, service: str | None = None) -> str:
    """Local tag of an app variant image."""
    files = app_files(variant)
    return build_cached("app", app_dockerfile(service), files, app_binaries())


def publish(bed: Bed, local: str, ref: str) -> str:
    """Tag `local` as `ref` (under bed.registry) and push it with the bed's credentials."""
    state = load(Path(bed.run_dir) / "state.json")
    if state is not None:
        state.note("docker_tags", ref)
    proc.run(["docker", "tag", local, ref])
    proc.run(["env", f"DOCKER_CONFIG={bed.docker_config}", "docker", "push", "-q", ref])
    return ref


def publish_app(bed: Bed, variant: str, repository: str = "app", service: str | None = None) -> str:
    """Build and push `<registry>/<repository>:<variant>`; returns the reference."""
    return publish(bed, build_app(variant, service), f"{bed.registry}/{repository}:{variant}")


def publish_app_images(bed: Bed) -> dict[str, str]:
    """Every app variant as `<registry>/app:<variant>`, labelled service=app."""
    return {variant: publish_app(bed, variant, service="app") for variant in VARIANTS}


# A stateful accessory: each boot appends its variant to /data/boots (a bind-mounted directory),
# and httpd serves /data, so a test sees what survived a reboot or an upgrade.
STORE_START = """#!/bin/sh
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
echo {variant} >> /data/boots
httpd -f -p 80 -h /data &
child=$!
wait "$child"
"""


def publish_store(bed: Bed, variant: str, repository: str = "store") -> str:
    """Build and push `<registry>/<repository>:<variant>`, the stateful accessory image."""
    files = {"app/start": STORE_START.format(variant=variant), "data/.keep": ""}
    dockerfile = 'FROM scratch\nCOPY rootfs/ /\nEXPOSE 80\nCMD ["/bin/sh", "/app/start"]\n'
    local = build_cached("store", dockerfile, files, app_binaries())
    return publish(bed, local, f"{bed.registry}/{repository}:{variant}")


def purge_cache() -> None:
    """Forget cached images and tarballs (the next bed rebuilds them)."""
    out = proc.run(["docker", "image", "ls", "-q", "--filter", f"reference={LOCAL}/*"], check=False)
    if out.split():
        proc.run(["docker", "image", "rm", "-f", *sorted(set(out.split()))], check=False)
    shutil.rmtree(CACHE_ROOT, ignore_errors=True)


def cache_lock(name: str) -> int:
    """An exclusive lock on CACHE_ROOT/<name>.lock (released when the fd closes)."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    fd = os.open(CACHE_ROOT / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd
