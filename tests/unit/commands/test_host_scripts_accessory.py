"""Accessory boot and directories, details and route reading: the host scripts run for real."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from kamalpy.commands import accessory, details, files, proxy, proxy_claims
from kamalpy.config.model import AccessoryFile
from tests.support.hostsh import HostShell
from tests.unit.commands.test_accessory import db
from tests.unit.commands.test_proxy_claims import route_file


@pytest.fixture
def host(tmp_path: Path) -> HostShell:
    return HostShell(tmp_path)


def _volumes(args: tuple[str, ...]) -> list[str]:
    return [value for flag, value in pairwise(args) if flag == "--volume"]


def _ok(host: HostShell, argv: tuple[str, ...], stdin: bytes = b"") -> None:
    done = host.run(argv, stdin=stdin)
    assert done.returncode == 0, done.stderr


def test_boot_runs_docker_with_the_args_as_built_and_home_expanded_in_sources(
    host: HostShell,
) -> None:
    acc = db(
        volumes=("~/shared:/shared", "/abs:/abs"), cmd=("echo", "~/not-a-volume"),
        files=(AccessoryFile("my.cnf", "/etc/my.cnf", options="ro"),),
        directories=(AccessoryFile("data", "/var/lib/data"),),
    )  # fmt: skip
    argv = accessory.run_argv(accessory.AccessoryRun(acc, "h1", "db.env"))
    done = host.run(argv)
    assert done.returncode == 0, done.stderr
    home = str(host.home)
    expected = tuple(
        home + a[1:] if before == "--volume" and a.startswith("~/") else a
        for before, a in pairwise(("", *argv[4:]))
    )
    assert host.calls == [("run", *expected)]
    assert _volumes(expected) == [
        f"{home}/shared:/shared", "/abs:/abs", f"{home}/shop-db/etc/my.cnf:/etc/my.cnf:ro",
        f"{home}/shop-db/data:/var/lib/data",
    ]  # fmt: skip
    assert expected[-3:] == ("127.0.0.1:5001/app:v1", "echo", "~/not-a-volume")


def test_boot_fails_with_docker_s_status_and_message(host: HostShell) -> None:
    host.answer("run", status=125, stderr="Conflict. The container name is already in use\n")
    done = host.run(accessory.run_argv(accessory.AccessoryRun(db(), "h1", "db.env")))
    assert done.returncode == 125
    assert done.stderr == "Conflict. The container name is already in use\n"


@pytest.mark.parametrize(("mode", "expected"), [("0750", 0o750), ("700", 0o700), ("0755", 0o755)])
def test_a_directory_with_a_mode_is_made_with_its_parents_and_given_the_mode(
    host: HostShell, mode: str, expected: int
) -> None:
    done = host.run(accessory.mkdir_argv("shop-db/data/pg", mode))
    assert done.returncode == 0, done.stderr
    made = host.home / "shop-db/data/pg"
    assert made.is_dir() and made.stat().st_mode & 0o777 == expected


def test_an_existing_directory_gets_the_mode_and_keeps_its_files(host: HostShell) -> None:
    existing = host.home / "shop-db/data"
    existing.mkdir(parents=True, mode=0o777)
    (existing / "PG_VERSION").write_text("16\n")
    assert host.run(accessory.mkdir_argv("shop-db/data", "0700")).returncode == 0
    assert existing.stat().st_mode & 0o777 == 0o700
    assert (existing / "PG_VERSION").read_text() == "16\n"


def test_a_directory_that_cannot_be_made_fails_without_a_chmod(host: HostShell) -> None:
    (host.home / "shop-db").write_text("a file where the directory goes")
    done = host.run(accessory.mkdir_argv("shop-db/data", "0700"))
    assert done.returncode == 1
    assert done.stderr.startswith("mkdir: ") and done.stderr.count("\n") == 1  # no chmod tried


def test_uploaded_files_and_directories_are_where_the_boot_mounts_them(host: HostShell) -> None:
    """The accessory's files (install from stdin) and directories, then its boot's volumes."""
    cnf, data = AccessoryFile("my.cnf", "/etc/mysql/my.cnf"), AccessoryFile("data", "/var/lib")
    acc = db(files=(cnf,), directories=(data,))
    _ok(host, files.install_from_stdin_argv(accessory.file_path(acc, cnf), "644"), b"[mysqld]\n")
    _ok(host, accessory.mkdir_argv(accessory.directory_path(acc, data), "0750"))
    _ok(host, accessory.run_argv(accessory.AccessoryRun(acc, "h1", "db.env")))
    (run,) = host.commands("run")
    sources = [Path(volume.split(":")[0]) for volume in _volumes(run)]
    assert [s.is_file() for s in sources] == [True, False]
    assert sources[0].read_text() == "[mysqld]\n" and sources[0].stat().st_mode & 0o777 == 0o644
    assert sources[1].is_dir() and sources[1].stat().st_mode & 0o777 == 0o750


def _inspected(name: str, state: str, **labels: str) -> dict[str, object]:
    return {
        "Name": f"/{name}", "Config": {"Image": "img:1", "Labels": labels},
        "State": {"Status": state, "StartedAt": "2026-12-06T10:00:00.5Z"},
    }  # fmt: skip


def test_details_inspects_every_container_by_id_in_one_call(host: HostShell) -> None:
    listed = [_inspected("hey-web-v2", "running", service="hey", role="web"),
              _inspected("shop-db", "exited", service="shop-db")]  # fmt: skip
    host.answer("ps", "--all", "--quiet", stdout="0a1b\n2c3d\n")
    host.answer("inspect", "0a1b", "2c3d", stdout=json.dumps(listed))
    done = host.run(details.inspect_all_argv())
    assert done.returncode == 0, done.stderr
    assert host.calls == [("ps", "--all", "--quiet"), ("inspect", "0a1b", "2c3d")]
    found = details.host_details("h1", details.parse_inspect(done.stdout), all_apps=True)
    assert [a.version for a in found.apps] == ["v2"]
    assert [(c.name, c.state) for c in found.accessories] == [("shop-db", "exited")]


def test_details_of_a_host_without_containers_is_an_empty_list(host: HostShell) -> None:
    host.answer("ps", stdout="")
    done = host.run(details.inspect_all_argv())
    assert (done.returncode, done.stdout) == (0, "[]\n")
    assert host.commands("inspect") == []


def test_details_fails_when_docker_cannot_list_instead_of_saying_none(host: HostShell) -> None:
    host.answer("ps", status=1, stderr="Cannot connect to the Docker daemon\n")
    done = host.run(details.inspect_all_argv())
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "Cannot connect to the Docker daemon\n"
    assert host.commands("inspect") == []


def test_route_files_of_both_extensions_are_read_and_nothing_else(host: HostShell) -> None:
    dynamic = host.home / proxy.DYNAMIC_DIR
    dynamic.mkdir(parents=True)
    (dynamic / "shop-web.yml").write_bytes(route_file("shop-web", ("shop.test",)))
    (dynamic / "blog-web.yaml").write_bytes(route_file("blog-web", ("blog.test",), ("/b",)))
    (dynamic / ".shop-web.v2.tmp").write_text("ignored: a temp file of a switch")
    (dynamic / "notes.txt").write_text("ignored: not YAML by name")
    (dynamic / "dir.yml").mkdir()  # not a file: skipped
    done = host.run(proxy_claims.read_routes_argv())
    assert done.returncode == 0, done.stderr
    assert proxy_claims.parse_routes(done.stdout) == {
        "shop-web": {("shop.test", "/")},
        "blog-web": {("blog.test", "/b")},
    }
    assert host.calls == []


@pytest.mark.parametrize("made", [False, True])
def test_no_route_directory_or_an_empty_one_reads_as_no_routes(host: HostShell, made: bool) -> None:
    if made:
        (host.home / proxy.DYNAMIC_DIR).mkdir(parents=True)
    done = host.run(proxy_claims.read_routes_argv())
    assert (done.returncode, done.stdout) == (0, "")
