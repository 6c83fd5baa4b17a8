"""`setup`'s probe and Docker install run for real, with stand-in `docker` and `curl` on PATH."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamalpy.commands import setup
from tests.support.hostsh import HostShell


@pytest.fixture
def host(tmp_path: Path) -> HostShell:
    return HostShell(tmp_path)


@pytest.fixture
def listening() -> Iterator[int]:
    """A port this process listens on (so /proc/net/tcp shows it), outside Docker."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield int(server.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _os_id() -> str:
    release = Path("/etc/os-release")
    if not release.exists():
        return ""
    fields = dict(line.split("=", 1) for line in release.read_text().splitlines() if "=" in line)
    return fields.get("ID", "unknown").strip('"')


def test_probe_names_who_holds_each_port(host: HostShell, listening: int) -> None:
    free = _free_port()
    host.stand_in("curl")
    host.answer("info", stdout="27.3.1\n")
    host.answer("ps", "publish=80", stdout="kamal-proxy traefik\n")
    host.answer("ps", "publish=443", stdout="kamal-proxy \n")
    host.answer("ps", "publish=8080", stdout="web-1 \nweb-2 \n")
    ports = [80, 443, 8080, listening, free]
    done = host.run(setup.probe_argv(ports))
    assert done.returncode == 0, done.stderr
    report = setup.parse_probe(done.stdout)
    assert (report.docker, report.docker_detail, report.curl) == ("ok", "27.3.1", True)
    assert report.os == _os_id()
    assert report.ports == (
        (80, "ours"), (443, "container kamal-proxy"), (8080, "container web-1"),
        (listening, "listener"), (free, "free"),
    )  # fmt: skip
    asked = [c for c in host.commands("ps")]
    assert asked == [("ps", "--filter", f"publish={p}", "--format",
                      '{{.Names}} {{.Label "org.kamalpy.proxy"}}') for p in ports]  # fmt: skip
    assert host.calls_of("curl") == []  # only looked for, never run


def test_probe_reports_the_user_and_nothing_else_when_there_are_no_ports(host: HostShell) -> None:
    done = host.run(setup.probe_argv([]))
    report = setup.parse_probe(done.stdout)
    assert report.user and report.ports == ()
    assert host.commands("ps") == []


def test_probe_says_why_docker_is_unusable_on_one_line(host: HostShell) -> None:
    said = "permission denied while trying to connect\nto the Docker daemon socket\n"
    host.answer("info", status=1, stderr=said)
    report = setup.parse_probe(host.run(setup.probe_argv([])).stdout)
    assert report.docker == "unusable"
    assert report.docker_detail == (
        "permission denied while trying to connect to the Docker daemon socket"
    )
    assert not report.curl


def test_probe_cuts_a_long_docker_error_at_200_characters(host: HostShell) -> None:
    host.answer("info", status=1, stderr="x" * 500 + "\n")
    line = next(ln for ln in host.run(setup.probe_argv([])).stdout.splitlines() if "docker" in ln)
    assert line == "docker unusable " + "x" * 200


def test_probe_without_docker_still_checks_ports_outside_it(
    host: HostShell, listening: int
) -> None:
    (host.bin / "docker").unlink()
    report = setup.parse_probe(host.run(setup.probe_argv([listening])).stdout)
    assert report.docker == "missing"
    assert report.ports == ((listening, "listener"),)


def test_install_runs_the_downloaded_script_with_sh(host: HostShell) -> None:
    host.stand_in("curl")
    host.answer("https://get.docker.com", stdout='echo "installing docker as $(id -un)"\n')
    done = host.run(setup.install_docker_argv())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("installing docker as ")
    assert host.calls_of("curl") == [("-fsSL", "https://get.docker.com")]


def test_install_fails_when_the_download_fails(host: HostShell) -> None:
    host.stand_in("curl")
    host.answer("https://get.docker.com", status=22, stderr="curl: (22) 404\n")
    done = host.run(setup.install_docker_argv())
    assert done.returncode == 22
    assert done.stderr == "curl: (22) 404\n"
