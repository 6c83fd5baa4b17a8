"""The demo's steps: check the engine, make the base and proxy images, run kamalpy in the copy.

Every process runs through the executor; deploys are `kamalpy deploy -d local` itself, run in
the scratch copy with its output on this terminal, so the demo shows exactly what a user sees.
"""

from __future__ import annotations

import glob
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kamalpy.commands import proxy
from kamalpy.config import load_config
from kamalpy.demo.workspace import Workspace, traefik_binary, write_proxy_context
from kamalpy.errors import DeployFailed, UsageError
from kamalpy.executor.base import LOCAL, Executor
from kamalpy.plan import DeployPlan, deploy_plan

CLASSIC_BUILD = {"DOCKER_BUILDKIT": "0"}  # the classic builder never pulls for FROM scratch
HUB_BASE = "python:3.11-slim-bookworm"
LOCAL_BASE = "kamalpy-demo/python:bookworm"
# The test bed's cached Debian python3 root (tests/testbed/baseimages.py), when this machine has it.
BED_TARBALLS = "/var/cache/kamalpy-testbed/python-*.tar"
DEBOOTSTRAP = ("debootstrap", "--variant=minbase", "--include=python3", "bookworm")
MIRROR = "http://deb.debian.org/debian"
Say = Callable[[str], None]


def check_engine(executor: Executor) -> None:
    """Docker must answer here; say what to install otherwise."""
    argv = ("docker", "info", "--format", "{{.ServerVersion}}")
    result = executor.run(LOCAL, argv, check=False, timeout=60)
    if not result.ok:
        reason = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["?"]
        raise UsageError(
            f"Docker is not reachable here: {reason[0]}",
            hint="install docker.io and start dockerd (as root, in a kamalpy checkout: "
            "scripts/bootstrap-host --demo)",
        )


def web_plan(ws: Workspace, environ: Mapping[str, str]) -> DeployPlan:
    """The web service's plan at `-d local`: the proxy's image and ports every service shares."""
    path = ws.repo / "services" / "web" / "deploy.yml"
    return deploy_plan(load_config(path, destination="local", environ=environ, version="demo"))


def check_proxy_slot(executor: Executor, ws: Workspace, plan: DeployPlan) -> None:
    """Refuse a proxy container that is not this demo's; else check the ports are free."""
    fmt = "{{.Config.Image}} {{range .Mounts}}{{.Source}} {{end}}"
    found = executor.run(
        LOCAL, ("docker", "inspect", "--format", fmt, proxy.CONTAINER_NAME), check=False
    )
    if not found.ok:
        for port in (plan.proxy.http_port, plan.proxy.api_port):
            if not _port_free(port):
                raise UsageError(
                    f"127.0.0.1:{port} is in use by another program; the demo needs it"
                )
        return
    image, *mounts = found.stdout.split()
    if image != plan.proxy.image:
        raise UsageError(
            f"a `{proxy.CONTAINER_NAME}` container not made by the demo runs here ({image}); "
            "the demo leaves it alone and stops",
            hint="run the demo on a machine without another kamal proxy",
        )
    routes = str(ws.home / proxy.DYNAMIC_DIR)
    if routes not in mounts:
        other = next((Path(m) for m in mounts if m.endswith(proxy.DYNAMIC_DIR)), None)
        where = str(other.parents[3]) if other else "another directory"  # DIR/home/.kamal/proxy
        raise UsageError(
            f"the demo already runs here from {where}",
            hint=f"remove it first: kamalpy demo --remove --dir {where}",
        )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def has_image(executor: Executor, image: str) -> bool:
    """True when this engine has `image`."""
    return executor.run(LOCAL, ("docker", "image", "inspect", image), check=False).ok


def ensure_proxy_image(executor: Executor, ws: Workspace, image: str) -> bool:
    """Build the Traefik image FROM scratch unless the engine has it; True when built."""
    if has_image(executor, image):
        return False
    context = write_proxy_context(ws, traefik_binary())
    executor.run(LOCAL, ("docker", "build", "-q", "-t", image, str(context)), env=CLASSIC_BUILD)
    return True


def python_base(executor: Executor, ws: Workspace, environ: Mapping[str, str], say: Say) -> str:
    """A Python base image here: named, present, pulled, or made locally as the test bed does."""
    named = environ.get("KAMALPY_PYTHON_BASE")
    if named:
        return named
    for image in (HUB_BASE, LOCAL_BASE):
        if has_image(executor, image):
            return image
    say(f"pulling {HUB_BASE} (the services' base image)...")
    if executor.run(LOCAL, ("docker", "pull", "-q", HUB_BASE), check=False, timeout=180).ok:
        return HUB_BASE
    tarballs = sorted(glob.glob(BED_TARBALLS))
    if tarballs:
        say(f"cannot pull it: importing the test bed's Debian python3 root {tarballs[-1]}")
        _import(executor, Path(tarballs[-1]))
        return LOCAL_BASE
    say("cannot pull it: building a Debian 12 python3 base locally with debootstrap "
        "(as the test bed does; about a minute)")  # fmt: skip
    root, tarball = ws.root / "base-root", ws.root / "base.tar"
    if executor.attach(LOCAL, (*DEBOOTSTRAP, str(root), MIRROR)) != 0:
        raise UsageError(
            "debootstrap failed: the demo needs the python base image",
            hint=f"pull {HUB_BASE} yourself, or set KAMALPY_PYTHON_BASE to a python3 image",
        )
    executor.run(LOCAL, ("tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."))
    _import(executor, tarball)
    executor.run(LOCAL, ("rm", "-rf", str(root), str(tarball)))
    return LOCAL_BASE


def _import(executor: Executor, tarball: Path) -> None:
    argv = ("docker", "import", "--change", 'CMD ["python3"]', str(tarball), LOCAL_BASE)
    executor.run(LOCAL, argv, timeout=600)


def in_repo(ws: Workspace, env: Mapping[str, str], *argv: str) -> tuple[str, ...]:
    """argv run in the scratch copy with `env` (names and paths only, never secret values)."""
    assignments = [f"{k}={v}" for k, v in env.items()]
    return ("env", *assignments, "sh", "-c", 'cd "$0" && exec "$@"', str(ws.repo), *argv)


def kamalpy_argv(*args: str) -> tuple[str, ...]:
    """This kamalpy, as a command."""
    return (sys.executable, "-m", "kamalpy", *args)


def git_argv(*args: str) -> tuple[str, ...]:
    """git with a fixed author, for the scratch copy's commits."""
    who = ("-c", "user.name=kamalpy demo", "-c", "user.email=demo@kamalpy.invalid")
    return ("git", *who, *args)


def run_shown(executor: Executor, argv: Sequence[str], what: str) -> None:
    """Run with this terminal's output (progress visible); DeployFailed naming `what`."""
    code = executor.attach(LOCAL, argv)
    if code != 0:
        raise DeployFailed(f"{what} failed (exit status {code}); its output is above")


def expect_page(port: int, host: str, expected: str,
                fetch: Callable[[int, str], tuple[int, str]]) -> str:  # fmt: skip
    """The proxy must answer for `host` with a body containing `expected`; the body."""
    status, body = fetch(port, host)
    if status != 200 or expected not in body:
        raise DeployFailed(f"http://{host}:{port}/ answered {status} {body.strip()!r}")
    return body
