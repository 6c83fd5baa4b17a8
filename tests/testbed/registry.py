"""The bed's registry: Debian's docker-registry with htpasswd auth, plus its unix socket."""

from __future__ import annotations

import json
import os
import secrets
import socket
import urllib.error
import urllib.request
from pathlib import Path

from tests.testbed import proc
from tests.testbed.state import State

USER = "testuser"


def registry_port(index: int) -> int:
    """Port of bed `index`'s registry, on 127.0.0.1 in the root and in every host namespace."""
    return 5000 + index


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port` in the root namespace."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def write_htpasswd(path: Path, password: str) -> None:
    """Bcrypt entry for USER; the password goes over stdin, never argv."""
    line = proc.run(["htpasswd", "-niB", USER], input=password.encode())
    path.write_text(line.strip() + "\n")
    path.chmod(0o600)


def write_config(path: Path, storage: Path, htpasswd: Path, port: int) -> None:
    """docker-registry config (JSON is YAML) serving on 127.0.0.1:`port`."""
    config = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)},
        "auth": {"htpasswd": {"realm": "kamalpy-testbed", "path": str(htpasswd)}},
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)


def start(state: State, run: Path, data: Path) -> tuple[str, str]:
    """Start registry + root-side socket bridge; return (address, password)."""
    port = registry_port(state.index)
    password = secrets.token_urlsafe(18)
    storage = data / "registry"
    storage.mkdir(parents=True, exist_ok=True)
    write_htpasswd(run / "htpasswd", password)
    write_config(run / "registry.yml", storage, run / "htpasswd", port)
    pid = proc.spawn(
        ["docker-registry", "serve", str(run / "registry.yml")], run / "logs/registry.log"
    )
    state.note_process("docker-registry", pid)
    # Hosts reach the registry through this socket: unix sockets ignore network namespaces.
    bridge = f"UNIX-LISTEN:{socket_path(run)},fork,mode=600"
    pid = proc.spawn(["socat", bridge, f"TCP:127.0.0.1:{port}"], run / "logs/socat-root.log")
    state.note_process("socat registry bridge", pid)
    return f"127.0.0.1:{port}", password


def socket_path(run: Path) -> Path:
    """Unix socket forwarding to the registry from any namespace."""
    return run / "registry.sock"


def wait_ready(address: str, run: Path, timeout: float = 20) -> None:
    """Wait until /v2/ answers 401 (auth on) and the bridge socket exists."""

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"http://{address}/v2/", timeout=1)
        except urllib.error.HTTPError as err:
            return err.code == 401
        except OSError:
            return False
        return False

    if not proc.wait_until(answers, timeout) or not proc.wait_until(
        lambda: os.path.exists(socket_path(run)), timeout
    ):
        log = (run / "logs/registry.log").read_text(errors="replace")[-1500:]
        raise proc.BedError(f"registry on {address} did not come up:\n{log}")


def login_root(docker_config: Path, address: str, password: str) -> None:
    """Log the root side's private DOCKER_CONFIG in (root's ~/.docker stays untouched)."""
    docker_config.mkdir(parents=True, exist_ok=True)
    env_argv = ["env", f"DOCKER_CONFIG={docker_config}", "docker", "login"]
    proc.run([*env_argv, "-u", USER, "--password-stdin", address], input=password.encode())
