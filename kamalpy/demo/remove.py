"""`kamalpy demo --remove`: the example's containers, proxy, unused network, images, files."""

from __future__ import annotations

import shutil

from kamalpy.commands import proxy
from kamalpy.demo.workspace import Workspace
from kamalpy.executor.base import LOCAL, Executor

# The example's images (services as built, as tagged for the local registry, the accessory)
# and the demo's own (proxy, locally made python base). Nothing else is ever touched.
EXAMPLE_REPOSITORIES = ("kamalpy-example/", "localhost:5555/kamalpy-example/")
IMAGE_REPOSITORIES = (*EXAMPLE_REPOSITORIES, "kamalpy-demo/")
DEMO_PROXY_IMAGE = "kamalpy-demo/traefik:local"


def _lines(executor: Executor, argv: tuple[str, ...]) -> list[str]:
    result = executor.run(LOCAL, argv, check=False)
    return result.stdout.splitlines() if result.ok else []


def demo_containers(executor: Executor) -> list[str]:
    """IDs of containers running one of the example's images (services and accessory)."""
    listing = _lines(executor, ("docker", "ps", "-a", "--format", "{{.ID}} {{.Image}}"))
    return [
        cid
        for cid, _, image in (line.partition(" ") for line in listing)
        if image.startswith(EXAMPLE_REPOSITORIES)
    ]


def remove_demo(
    executor: Executor, ws: Workspace, proxy_image: str = DEMO_PROXY_IMAGE
) -> list[str]:
    """Remove everything the demo made; returns one line per kind of thing removed."""
    done = []
    containers = demo_containers(executor)
    if containers:
        executor.run(LOCAL, ("docker", "rm", "--force", *containers))
        done.append(f"{len(containers)} container(s) of the example")
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
