"""Accessory flow on the recording executor: boot only where absent, reboot order, remove."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from kamalpy.cli.output import Console
from kamalpy.commands import accessory as cmd
from kamalpy.commands import proxy
from kamalpy.config.accessory_files import LocalFile
from kamalpy.config.model import Accessory, AccessoryFile, Env, Proxy, SecretRef
from kamalpy.deploy import accessory as flow
from kamalpy.deploy import accessory_proxy
from kamalpy.deploy.context import Context
from kamalpy.errors import SecretsError, UsageError
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import sample_config

DB = Accessory(
    name="db", service="hey-db", image="redis:7", hosts=("h1", "h2"),
    env=Env(secrets=(SecretRef("REDIS_PASSWORD", "DB_PASSWORD"),)),
    directories=(AccessoryFile("data", "/data", mode="0750"),),
    files=(AccessoryFile("conf/r.conf", "/etc/r.conf"),),
)  # fmt: skip
FILES = (LocalFile(DB.files[0], "", b"maxmemory 1mb\n", "640"),)


def context(executor: RecordingExecutor, secrets: dict[str, str] | None = None) -> Context:
    ticks = itertools.count()
    values = {"DB_PASSWORD": "s3cret"} if secrets is None else secrets
    return Context(
        config=replace(sample_config(), accessories=(DB,)), executor=executor, console=Console(),
        clock=lambda: float(next(ticks)), recorded_at="2026-01-01T00:00:00Z", performer="ann",
        secrets={k: Sensitive(v) for k, v in values.items()},
    )  # fmt: skip


def test_boot_creates_directories_files_env_file_then_runs_where_absent() -> None:
    executor = RecordingExecutor()
    assert flow.boot_on(context(executor), DB, "h1", FILES) == "booted"
    calls = [c for c in executor.calls if c.target == "h1"]
    argvs = [c.argv for c in calls]
    assert argvs[0][:2] == ("sh", "-c")  # the kamal network (no login: a public image)
    assert argvs[1:4] == [
        cmd.ids_argv(DB),
        cmd.mkdir_argv("hey-db/data", "0750"),
        ("install", "-D", "-m", "640", "/dev/stdin", "hey-db/etc/r.conf"),
    ]
    assert argvs[4][-4:] == ("700", ".kamal/apps/hey/env/accessories", "600",
                             ".kamal/apps/hey/env/accessories/db.env")  # fmt: skip
    assert calls[4].stdin_length == len(b"REDIS_PASSWORD=s3cret\n")
    assert argvs[5][3] == "kamalpy-accessory-boot"
    assert "Booted db accessory" in argvs[6][-1]
    assert len(argvs) == 7


def test_boot_leaves_an_existing_container_alone() -> None:
    executor = RecordingExecutor()
    executor.respond(cmd.ids_argv(DB), stdout="0123abcd\n")
    assert flow.boot_on(context(executor), DB, "h1", FILES).startswith("already booted")
    assert executor.commands_for("h1")[-1] == cmd.ids_argv(DB)


def test_upgrade_pulls_before_it_stops_anything() -> None:
    executor = RecordingExecutor()
    assert flow.reboot_on(context(executor), DB, "h1", FILES, pull=True) == "upgraded"
    argvs = executor.commands_for("h1")
    pull, stop = argvs.index(cmd.pull_argv(DB)), argvs.index(cmd.stop_argv(DB))
    assert pull < stop < argvs.index(cmd.force_remove_argv(DB))
    assert cmd.ids_argv(DB) not in argvs  # a reboot replaces it whatever exists


def test_missing_secret_stops_before_the_container_is_run() -> None:
    executor = RecordingExecutor()
    with pytest.raises(SecretsError, match="accessory db: env REDIS_PASSWORD"):
        flow.boot_on(context(executor, secrets={}), DB, "h1", FILES)
    assert not any(argv[3:4] == ("kamalpy-accessory-boot",) for argv in executor.commands_for("h1"))


def test_remove_takes_container_image_directory_and_env_file() -> None:
    executor = RecordingExecutor()
    flow.remove_on(context(executor), DB, "h2")
    assert executor.commands_for("h2")[:4] == [
        cmd.force_remove_argv(DB), cmd.remove_image_argv(DB), cmd.remove_data_argv(DB),
        ("rm", "-f", "--", ".kamal/apps/hey/env/accessories/db.env"),
    ]  # fmt: skip


def test_select_names_the_known_accessories() -> None:
    config = replace(sample_config(), accessories=(DB,))
    assert flow.select(config, "all") == (DB,)
    with pytest.raises(UsageError) as info:
        flow.select(config, "cache")
    assert info.value.hint == "accessories: db"


def test_on_hosts_runs_every_host_of_the_accessory_or_the_selection() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    lines = flow.on_hosts(ctx, (DB,), None, lambda a, h: flow.details_on(ctx, a, h).strip())
    assert lines == ["h1 (db): ", "h2 (db): "]
    assert flow.hosts_of(DB, ["h2", "h9"]) == ("h2",)


WEB = replace(DB, name="board", service="hey-board", proxy=Proxy(hosts=("board.test",),
              app_port=3000, path_prefixes=("/b",)))  # fmt: skip


def test_an_accessory_with_a_proxy_section_gets_its_own_route_after_boot() -> None:
    executor = RecordingExecutor()
    servers = '{"loadBalancer": {"servers": [{"url": "http://hey-board:3000"}]}}'
    executor.respond(proxy.api_argv(8089, "http/services/hey-board@file"),
                     stdout="HTTP/1.0 200 OK\r\n\r\n" + servers)  # fmt: skip
    said = flow.boot_on(context(executor), WEB, "h1", FILES)
    assert said == "booted; routed (board.test /b)"
    argvs = executor.commands_for("h1")
    boot = next(i for i, a in enumerate(argvs) if a[3:4] == ("kamalpy-accessory-boot",))
    rename = argvs.index(("mv", "-f", "--", ".kamal/proxy/dynamic/.hey-board.accessory.tmp",
                          ".kamal/proxy/dynamic/hey-board.yml"))  # fmt: skip
    assert boot < rename  # the container runs before the proxy routes to it
    upload = next(c for c in executor.calls if c.argv[-1:] == (
        ".kamal/proxy/dynamic/.hey-board.accessory.tmp",))  # fmt: skip
    assert upload.stdin_length is not None and upload.stdin_length > 0
    route = accessory_proxy.accessory_route(WEB)
    assert (route.name, route.backend, route.app_port) == ("hey-board", "hey-board", 3000)
    assert "Host(`board.test`) && PathPrefix(`/b`)" in proxy.render_dynamic_config(
        route, version="accessory").decode()  # fmt: skip


def test_removing_an_accessory_removes_its_route_first() -> None:
    executor = RecordingExecutor()
    assert flow.remove_on(context(executor), WEB, "h1").endswith("env file, route)")
    argvs = executor.commands_for("h1")
    assert argvs[0] == ("rm", "-f", "--", ".kamal/proxy/dynamic/hey-board.yml")
    assert argvs[1] == cmd.force_remove_argv(WEB)


def test_an_accessory_without_a_proxy_section_touches_no_route() -> None:
    executor = RecordingExecutor()
    flow.boot_on(context(executor), DB, "h1", FILES)
    flow.remove_on(context(executor), DB, "h1")
    assert not any("dynamic" in " ".join(a) for a in executor.commands_for("h1"))
