"""Drain, health, lock, audit, upload and ERB scripts run for real: real sockets, real files."""

from __future__ import annotations

import base64
import os
import random
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kamalpy.commands import audit, drain, erb, files, health, lock
from tests.support.hostsh import HostShell

# /proc/net/tcp rows: local address, remote address, state (01 established, 0A listen, 06 wait).
TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1
   1: 020012AC:1F90 030012AC:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2
   2: 020012AC:1F90 030012AC:D2F2 06 00000000:00000000 00:00000000 00000000     0        0 3
   3: 020012AC:1F91 030012AC:D2F4 01 00000000:00000000 00:00000000 00000000     0        0 4
   4: 020012AC:D2F6 030012AC:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5
   5: 020012AC:01F90 030012AC:D2F8 01 00000000:00000000 00:00000000 00000000     0        0 6
"""
TCP6 = """\
  sl  local_address                         remote_address                        st
   0: 0000000000000000FFFF0000020012AC:1F90 0000000000000000FFFF0000030012AC:D300 01 0
   1: 0000000000000000FFFF0000020012AC:0050 0000000000000000FFFF0000030012AC:D302 01 0
"""


@pytest.fixture
def host(tmp_path: Path) -> HostShell:
    return HostShell(tmp_path)


@pytest.mark.parametrize(("port", "count"), [(8080, 2), (8081, 1), (80, 1), (53398, 0)])
def test_the_drain_filter_counts_established_sockets_on_the_local_port(
    port: int, count: int
) -> None:
    out = subprocess.run(
        ["awk", "-v", f"p=:{port:04X}", "-v", "st=01", drain.AWK_FILTER],
        input=TCP + TCP6, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert int(out) == count


def _server_below_the_ephemeral_range() -> socket.socket:
    """A listener on a port no outgoing connection on this machine can have as its own: the
    filter counts by local port, and an ephemeral port may be another socket's local port."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(low // 2, low), 200):
        try:
            return socket.create_server(("127.0.0.1", port))
        except OSError:
            continue
    raise RuntimeError(f"no free port below {low}")


@pytest.fixture
def connections() -> Iterator[tuple[int, int]]:
    """A listening port in this process with 3 accepted connections: (port, count)."""
    server = _server_below_the_ephemeral_range()
    port = server.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    accepted = [server.accept()[0] for _ in clients]
    yield port, len(accepted)
    for s in (*clients, *accepted, server):
        s.close()


def test_in_flight_counts_this_process_s_connections_read_from_proc(
    host: HostShell, connections: tuple[int, int]
) -> None:
    port, count = connections
    host.answer("inspect", "old-a", stdout=f"{os.getpid()}\n")
    host.answer("inspect", "old-b", stdout=f"{os.getpid()}\n")
    host.answer("inspect", "gone", status=1)
    host.answer("inspect", "stopped", stdout="0\n")
    done = host.run(drain.in_flight_argv(["old-a", "gone", "stopped", "old-b"], port))
    assert (done.returncode, done.stdout) == (0, f"{2 * count}\n"), done.stderr
    assert [c[-1] for c in host.commands("inspect")] == ["old-a", "gone", "stopped", "old-b"]


def test_in_flight_old_skips_the_new_container_and_counts_the_others(
    host: HostShell, connections: tuple[int, int]
) -> None:
    port, count = connections
    host.answer("ps", stdout="hey-web-v2\nhey-web-v1\n")
    host.answer("inspect", "hey-web-v1", stdout=f"{os.getpid()}\n")
    done = host.run(drain.in_flight_old_argv("hey", "web", "prod", "hey-web-v2", port))
    assert (done.returncode, done.stdout) == (0, f"{count}\n"), done.stderr
    assert [c[-1] for c in host.commands("inspect")] == ["hey-web-v1"]
    (ps,) = host.commands("ps")
    assert {"label=service=hey", "label=destination=prod", "label=role=web"} <= set(ps)


def test_in_flight_is_zero_without_other_containers(host: HostShell) -> None:
    host.answer("ps", stdout="hey-web-v2\n")
    done = host.run(drain.in_flight_old_argv("hey", "web", None, "hey-web-v2", 80))
    assert (done.returncode, done.stdout) == (0, "0\n")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 200 if self.path == "/up" else 503
        self.send_response(code)
        self.end_headers()
        self.wfile.write(f"path {self.path}\n".encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def app_port() -> Iterator[int]:
    """An HTTP app on 127.0.0.1: 200 on /up, 503 elsewhere."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("state", "path", "status", "said"),
    [
        ("running 127.0.0.1", "/up", 0, "HTTP/1.0 200 OK"),
        ("running 127.0.0.1", "/down", 1, "HTTP/1.0 503 Service Unavailable"),
        ("exited ", "/up", 4, "container is exited"),
        ("running ", "/up", 5, "container has no address on network kamal"),
    ],
)
def test_healthcheck_reports_state_address_and_status(
    host: HostShell, app_port: int, state: str, path: str, status: int, said: str
) -> None:
    host.answer("inspect", "hey-web-v2", stdout=state + "\n")
    done = host.run(health.healthcheck_argv("hey-web-v2", app_port, path))
    assert (done.returncode, done.stdout) == (status, said + "\n"), done.stderr


def test_healthcheck_says_when_the_port_refuses(host: HostShell) -> None:
    port = _free_port()
    host.answer("inspect", stdout="running 127.0.0.1\n")
    done = host.run(health.healthcheck_argv("hey-web-v2", port, "/up"))
    assert done.returncode == 6
    assert done.stdout == f"connection to 127.0.0.1:{port} refused\n"


def test_healthcheck_fails_when_the_container_cannot_be_inspected(host: HostShell) -> None:
    host.answer("inspect", status=1)
    assert host.run(health.healthcheck_argv("hey-web-v2", 80, "/up")).returncode == 3


def test_http_get_prints_the_raw_response(host: HostShell, app_port: int) -> None:
    done = host.run(health.http_get_argv("127.0.0.1", app_port, "/some/path"))
    assert done.returncode == 0, done.stderr
    assert health.split_http_response(done.stdout) == (503, "path /some/path\n")


def test_lock_is_taken_once_read_back_and_released(host: HostShell) -> None:
    details = lock.details_text(performer="ann", recorded_at="T", version="v2", message="m")
    assert host.run(lock.acquire_argv("hey", "prod", details)).returncode == 0
    written = (host.home / ".kamal/lock-hey-prod/details").read_text()
    assert base64.b64decode(written) == details.encode()
    again = host.run(lock.acquire_argv("hey", "prod", "someone else"))
    assert again.returncode != 0
    assert (
        base64.b64decode((host.home / ".kamal/lock-hey-prod/details").read_text())
        == details.encode()
    )
    said = host.run(lock.status_argv("hey", "prod")).stdout
    assert said.startswith(details + "\n") and said.endswith("s ago\n") and "Heartbeat: " in said
    inspected = lock.parse_inspect(host.run(lock.inspect_argv("hey", "prod")).stdout)
    assert inspected.details == details and inspected.heartbeat_age is not None
    assert host.run(lock.release_own_argv("hey", "prod", "not ours")).returncode == 0
    assert (host.home / ".kamal/lock-hey-prod").is_dir()  # someone else's lock stays
    assert host.run(lock.release_own_argv("hey", "prod", details)).returncode == 0
    status = host.run(lock.status_argv("hey", "prod"))
    assert (status.returncode, status.stdout) == (1, "")
    assert host.run(lock.release_argv("hey", "prod")).stdout == "none\n"


def test_audit_appends_one_line_per_action(host: HostShell) -> None:
    for line in ("[T] [ann] deploy v1", "[T] [ann] deploy 'v2' $HOME"):
        assert host.run(audit.record_argv("hey", None, line)).returncode == 0
    log = host.home / audit.audit_log_path("hey", None)
    assert log.read_text() == "[T] [ann] deploy v1\n[T] [ann] deploy 'v2' $HOME\n"


def test_upload_writes_stdin_with_the_file_and_directory_modes(host: HostShell) -> None:
    argv = files.install_from_stdin_argv(".kamal/env/web.env", "600", parent_mode="700")
    done = host.run(argv, stdin=b"A=1\n")
    assert done.returncode == 0, done.stderr
    target = host.home / ".kamal/env/web.env"
    assert target.read_text() == "A=1\n"
    assert (target.stat().st_mode & 0o777, target.parent.stat().st_mode & 0o777) == (0o600, 0o700)


def test_erb_backticks_run_in_the_app_directory_with_the_command_untouched(
    host: HostShell,
) -> None:
    app = host.home / "my app"
    app.mkdir()
    (app / "VERSION").write_text("v7\n")
    done = host.run(erb.erb_command_argv("cat VERSION; echo \"$(echo 'a b')\" $((1 + 1))", app))
    assert (done.returncode, done.stdout) == (0, "v7\na b 2\n"), done.stderr
    failed = host.run(erb.erb_command_argv("exit 3", app))
    assert failed.returncode == 3
    missing = host.run(erb.erb_command_argv("touch ran", app / "gone"))
    assert missing.returncode != 0 and not (host.home / "ran").exists()
