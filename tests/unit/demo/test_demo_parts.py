"""The demo's pieces that need no Docker: embedded files, the client loop, the command line."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamalpy.cli.main import build_parser
from kamalpy.config import load_config
from kamalpy.demo.traffic import TrafficLoop
from kamalpy.demo.workspace import Workspace, default_root, set_page_version, write_repo
from kamalpy.errors import UsageError
from kamalpy.plan import deploy_plan


def _fake_busybox(tmp_path: Path) -> Path:
    binary = tmp_path / "busybox"
    binary.write_bytes(b"\x7fELF fake")
    return binary


def test_embedded_service_is_a_local_host_behind_a_loopback_proxy(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "demo")
    write_repo(ws, busybox=_fake_busybox(tmp_path))
    config = load_config(ws.config_path, destination=None, environ={}, version="v1")
    plan = deploy_plan(config)
    assert config.extras.local_hosts == ("localhost",) == config.app_hosts
    assert plan.proxy.bind_ips == ("127.0.0.1",)
    assert (plan.proxy.http_port, plan.proxy.api_port) == (47080, 47089)
    assert plan.proxy.image == "kamalpy-demo/traefik:local"
    rootfs = ws.repo / "services/hello/rootfs"
    assert (rootfs / "bin/sh").readlink() == Path("busybox")
    assert (rootfs / "app/start").stat().st_mode & 0o111


def test_page_names_the_version_and_rewriting_the_repo_is_idempotent(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "demo")
    write_repo(ws, busybox=_fake_busybox(tmp_path))
    set_page_version(ws, "v2")
    write_repo(ws, busybox=_fake_busybox(tmp_path))
    set_page_version(ws, "v2")
    page = ws.repo / "services/hello/rootfs/www/index.html"
    assert page.read_text() == "hello from the kamalpy demo, version v2\n"


def test_missing_busybox_is_bad_input_naming_the_package(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        write_repo(Workspace(tmp_path), busybox=tmp_path / "nope")
    assert "busybox-static" in (caught.value.hint or "")


def test_default_directory_follows_xdg_data_home() -> None:
    assert default_root({"XDG_DATA_HOME": "/x"}, Path("/h")) == Path("/x/kamalpy-demo")
    assert default_root({}, Path("/h")) == Path("/h/.local/share/kamalpy-demo")


class _Version(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"version v1\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Version)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_client_loop_is_bounded_and_counts_answers(server: http.server.HTTPServer) -> None:
    loop = TrafficLoop(server.server_address[1], max_requests=5).start()
    loop._thread.join(timeout=10)
    tally = loop.stop()
    assert (tally.sent, tally.failed, dict(tally.bodies)) == (5, 0, {"version v1": 5})


def test_client_loop_counts_refused_connections_as_failed(tmp_path: Path) -> None:
    loop = TrafficLoop(1, max_requests=3).start()  # port 1: nothing listens
    loop._thread.join(timeout=10)
    tally = loop.stop()
    assert (tally.sent, tally.failed) == (3, 3)
    assert tally.reasons[0].startswith("ConnectionRefusedError")


def test_demo_is_a_registered_command_with_remove_and_dir() -> None:
    args = build_parser().parse_args(["demo", "--remove", "--dir", "/tmp/d"])
    assert args.remove and args.dir == Path("/tmp/d")
