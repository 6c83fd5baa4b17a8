"""The demo's steps: check the engine, build the proxy image, deploy a version, remove it all.

Every process runs through the executor; deploys go through the same flow as `kamalpy deploy`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from pathlib import Path

from kamalpy.commands import proxy
from kamalpy.config import load_config
from kamalpy.config.model import Configuration
from kamalpy.demo.workspace import (
    Workspace,
    set_page_version,
    traefik_binary,
    write_proxy_context,
)
from kamalpy.deploy import deploy as flow
from kamalpy.deploy.context import Context, Output
from kamalpy.deploy.image import image_to_hosts, prepare_image
from kamalpy.errors import DeployFailed, UsageError
from kamalpy.executor.base import LOCAL, Executor
from kamalpy.plan import DeployPlan, deploy_plan

CLASSIC_BUILD = {"DOCKER_BUILDKIT": "0"}  # the classic builder never pulls for FROM scratch


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


def load(ws: Workspace, environ: Mapping[str, str], version: str) -> Configuration:
    """The embedded service's configuration at `version`."""
    return load_config(ws.config_path, destination=None, environ=environ, version=version)


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


def ensure_proxy_image(executor: Executor, ws: Workspace, image: str) -> bool:
    """Build the Traefik image FROM scratch unless the engine has it; True when built."""
    if executor.run(LOCAL, ("docker", "image", "inspect", image), check=False).ok:
        return False
    context = write_proxy_context(ws, traefik_binary())
    executor.run(LOCAL, ("docker", "build", "-q", "-t", image, str(context)), env=CLASSIC_BUILD)
    return True


def deploy_version(ctx: Context, ws: Workspace, version: str) -> flow.Summary:
    """Write the page for `version`, build the image here, deploy it with the normal flow."""
    set_page_version(ws, version)
    plan = deploy_plan(ctx.config)
    image = ctx.config.absolute_image
    start = ctx.clock()
    # Plain `docker build`: a buildx builder of another driver could try to pull BuildKit.
    prepare_image(ctx.executor, ctx.config, {}, buildx=False)
    ctx.console.step("local", f"build {image}", ctx.clock() - start)

    def deliver() -> None:
        targets = [ctx.target(host) for host in plan.hosts]
        results = image_to_hosts(ctx.executor, ctx.config, targets)
        for host in results.succeeded:
            ctx.console.step(host, results[host].describe(image), results[host].seconds)
        results.raise_for_failures()

    return flow.deploy(ctx, plan, before_boot=deliver)


def make_context(
    config: Configuration,
    executor: Executor,
    console: Output,
    clock: Callable[[], float],
    recorded_at: str,
    performer: str,
) -> Context:
    """A flow context for the demo: no secrets, no hooks."""
    return Context(
        config=config,
        executor=executor,
        console=console,
        clock=clock,
        recorded_at=recorded_at,
        performer=performer,
        command="demo",
    )


def expect_page(port: int, version: str, fetch: Callable[[int], tuple[int, str]]) -> None:
    """The proxy must now answer with the page of `version`."""
    status, body = fetch(port)
    if status != 200 or f"version {version}" not in body:
        raise DeployFailed(f"127.0.0.1:{port} answered {status} {body.strip()!r}, not {version}")
