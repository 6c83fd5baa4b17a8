"""The demo's pieces that need no Docker: the example's copy and its local overlays, the edit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kamalpy.cli.main import build_parser
from kamalpy.config import load_config
from kamalpy.demo.run import git_argv, in_repo
from kamalpy.demo.workspace import (
    SHARED_FILE,
    Workspace,
    change_shared_library,
    copy_example,
    default_root,
    find_example,
)
from kamalpy.errors import UsageError
from kamalpy.plan import deploy_plan

REPO = Path(__file__).resolve().parents[3]


def _tracked() -> list[str]:
    done = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    made = Workspace(tmp_path_factory.mktemp("demo"))
    made.repo.mkdir()
    copy_example(REPO, _tracked(), made.repo)
    return made


def test_the_copy_holds_only_the_example(ws: Workspace) -> None:
    top = sorted(p.name for p in ws.repo.iterdir())
    assert top == [".dockerignore", ".gitattributes", "accessories", "libs", "secrets",
                   "services"]  # fmt: skip
    assert not (ws.repo / "kamalpy").exists() and not (ws.repo / "tests").exists()


@pytest.mark.parametrize("service", ["web", "api", "worker"])
def test_every_service_is_a_local_host_behind_the_demo_proxy(ws: Workspace, service: str) -> None:
    path = ws.repo / "services" / service / "deploy.yml"
    config = load_config(path, destination="local", environ={"KAMALPY_PYTHON_BASE": "b:1"},
                         version="v1")  # fmt: skip
    plan = deploy_plan(config)
    assert config.extras.local_hosts == ("localhost",) == config.app_hosts
    assert config.registry.local and config.registry.username is None
    assert config.builder.args["BASE"] == "b:1"
    if service == "worker":
        assert plan.proxy_hosts == ()
        return
    assert (plan.proxy.http_port, plan.proxy.api_port) == (47080, 47089)
    assert plan.proxy.bind_ips == ("127.0.0.1",)
    assert plan.proxy.image == "kamalpy-demo/traefik:local"


def test_production_configuration_keeps_the_registry_credentials(ws: Workspace) -> None:
    config = load_config(ws.repo / "services/api/deploy.yml", destination=None, environ={},
                         version="v1")  # fmt: skip
    assert config.registry.server == "registry.example.com"
    assert config.builder.args["BASE"] == "python:3.11-slim-bookworm"
    assert [a.name for a in config.accessories] == ["redis"]


def test_the_shared_library_is_changed_once(tmp_path: Path, ws: Workspace) -> None:
    target = tmp_path / "repo"
    copy_example(ws.repo, [SHARED_FILE], target)
    assert change_shared_library(target) is True
    assert 'GREETING = "hello again"' in (target / SHARED_FILE).read_text()
    assert change_shared_library(target) is False


def test_find_example_walks_up_and_says_what_it_needs(tmp_path: Path) -> None:
    assert find_example(REPO / "services" / "api") == REPO
    with pytest.raises(UsageError) as caught:
        find_example(tmp_path)
    assert "--example" in (caught.value.hint or "")


def test_commands_in_the_copy_carry_names_and_paths_only(ws: Workspace) -> None:
    argv = in_repo(ws, {"HOME": "/h"}, "kamalpy", "deploy")
    assert argv == ("env", "HOME=/h", "sh", "-c", 'cd "$0" && exec "$@"', str(ws.repo),
                    "kamalpy", "deploy")  # fmt: skip
    assert git_argv("commit")[-1] == "commit"


def test_default_directory_follows_xdg_data_home() -> None:
    assert default_root({"XDG_DATA_HOME": "/x"}, Path("/h")) == Path("/x/kamalpy-demo")
    assert default_root({}, Path("/h")) == Path("/h/.local/share/kamalpy-demo")


def test_demo_is_a_registered_command_with_remove_dir_and_example() -> None:
    args = build_parser().parse_args(["demo", "--remove", "--dir", "/tmp/d", "--example", "/e"])
    assert args.remove and args.dir == Path("/tmp/d") and args.example == Path("/e")
