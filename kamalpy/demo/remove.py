"""`kamalpy demo --remove`: the demo's containers, proxy, network (when unused), images, files."""

from __future__ import annotations

import shutil

from kamalpy.commands import proxy
from kamalpy.demo.workspace import Workspace
from kamalpy.executor.base import LOCAL, Executor

SERVICE = "kamalpy-demo"
IMAGE_REPOSITORIES = ("kamalpy-demo/", "localhost:5555/kamalpy-demo/")


def _lines(executor: Executor, argv: tuple[str, ...]) -> list[str]:
    result = executor.run(LOCAL, argv, check=False)
    return result.stdout.split() if result.ok else []


def remove_demo(executor: Executor, ws: Workspace, proxy_image: str) -> list[str]:
    """Remove everything the demo made; returns one line per kind of thing removed."""
    done = []
    containers = _lines(executor, ("docker", "ps", "-aq", "--filter", f"label=service={SERVICE}"))
    if containers:
        executor.run(LOCAL, ("docker", "rm", "--force", *containers))
        done.append(f"{len(containers)} app container(s)")
    image = _lines(
        executor, ("docker", "inspect", "--format", "{{.Config.Image}}", proxy.CONTAINER_NAME)
    )
    if image == [proxy_image]:
        executor.run(LOCAL, proxy.remove_argv())
        done.append(f"proxy container {proxy.CONTAINER_NAME}")
    attached = _lines(
        executor, ("docker", "network", "inspect", "--format", "{{len .Containers}}", "kamal")
    )
    if attached == ["0"]:
        executor.run(LOCAL, ("docker", "network", "rm", "kamal"), check=False)
        done.append("network kamal (unused)")
    refs = [
        ref
        for ref in _lines(
            executor, ("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
        )
        if ref.startswith(IMAGE_REPOSITORIES)
    ]
    if refs:
        executor.run(LOCAL, ("docker", "image", "rm", "--force", *refs))
        done.append(f"{len(refs)} image tag(s)")
    if ws.root.exists():
        shutil.rmtree(ws.root)
        done.append(f"files in {ws.root}")
    return done
