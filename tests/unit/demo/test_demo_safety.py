"""The demo never touches Docker objects that are not its own (recorded commands, no Docker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.config import load_config
from kamalpy.demo.remove import remove_demo
from kamalpy.demo.run import check_proxy_slot
from kamalpy.demo.workspace import Workspace
from kamalpy.errors import UsageError
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import DeployPlan, deploy_plan

OURS = "kamalpy-demo/traefik:local"
INSPECT_PROXY = ("docker", "inspect", "--format")


def _plan(tmp_path: Path) -> tuple[Workspace, DeployPlan]:
    ws = Workspace(tmp_path / "demo")
    web = Path(__file__).resolve().parents[3] / "services/web/deploy.yml"
    return ws, deploy_plan(load_config(web, destination="local", environ={}, version="v1"))


def _removed(executor: RecordingExecutor) -> list[tuple[str, ...]]:
    return [argv for argv in executor.commands_for("local") if argv[1:3] in (("rm", "--force"),
            ("image", "rm"), ("network", "rm"))]  # fmt: skip


def test_remove_leaves_a_foreign_proxy_network_and_images_alone(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    executor.respond(INSPECT_PROXY, stdout="traefik:v3\n")
    executor.respond(("docker", "network", "inspect"), stdout="3\n")
    executor.respond(("docker", "image", "ls"), stdout="traefik:v3\nkamalpy-testbed/app:x\n")
    assert remove_demo(executor, Workspace(tmp_path / "none"), OURS) == []
    assert _removed(executor) == []


def test_remove_takes_only_demo_image_tags_and_its_own_proxy(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    listing = "c1 localhost:5555/kamalpy-example/web:a\nc2 kamalpy-example/redis:7\nc3 nginx\n"
    executor.respond(("docker", "ps"), stdout=listing)
    executor.respond(INSPECT_PROXY, stdout=f"{OURS}\n")
    executor.respond(("docker", "network", "inspect"), stdout="0\n")
    listed = f"{OURS}\nlocalhost:5555/kamalpy-example/api:v1\ntraefik:v3\nkamalpy-testbed/x:1\n"
    executor.respond(("docker", "image", "ls"), stdout=listed)
    remove_demo(executor, Workspace(tmp_path / "none"), OURS)
    assert _removed(executor) == [
        ("docker", "rm", "--force", "c1", "c2"),
        ("docker", "rm", "--force", "kamal-proxy"),
        ("docker", "network", "rm", "kamal"),
        ("docker", "image", "rm", "--force", OURS, "localhost:5555/kamalpy-example/api:v1"),
    ]


def test_a_foreign_kamal_proxy_stops_the_demo_before_any_change(tmp_path: Path) -> None:
    ws, plan = _plan(tmp_path)
    executor = RecordingExecutor()
    executor.respond(INSPECT_PROXY, stdout="basecamp/kamal-proxy:v0.9 /root/.kamal/proxy\n")
    with pytest.raises(UsageError, match="not made by the demo"):
        check_proxy_slot(executor, ws, plan)
    assert len(executor.calls) == 1


def test_the_demo_running_from_another_directory_is_named(tmp_path: Path) -> None:
    ws, plan = _plan(tmp_path)
    executor = RecordingExecutor()
    executor.respond(INSPECT_PROXY, stdout=f"{OURS} /x/d/home/.kamal/proxy/dynamic /x/d/home/a\n")
    with pytest.raises(UsageError) as caught:
        check_proxy_slot(executor, ws, plan)
    assert caught.value.hint == "remove it first: kamalpy demo --remove --dir /x/d"
