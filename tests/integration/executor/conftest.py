"""A throwaway sshd on loopback addresses (127.0.0.11-13) with its own keys and client config."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kamalpy.commands.ssh import SshSettings
from kamalpy.executor.base import Target
from kamalpy.executor.process import ProcessRunner, run_process, run_process_direct
from tests.support.ci import require_tool, unavailable

HOST_ADDRESSES = {"h1": "127.0.0.11", "h2": "127.0.0.12", "h3": "127.0.0.13"}


@dataclass
class LocalSshd:
    """A running sshd plus the settings that reach it as h1, h2, h3."""

    process: subprocess.Popen[bytes]
    directory: Path
    port: int
    log: Path
    settings: SshSettings

    def target(self, name: str) -> Target:
        return Target(name, self.settings)

    def accepted_connections(self, name: str) -> int:
        """How many ssh sessions sshd authenticated from the host's client address."""
        address = HOST_ADDRESSES[name]
        text = self.log.read_text(errors="replace")
        return sum(1 for line in text.splitlines() if "Accepted publickey for" in line
                   and f"from {address} port" in line)  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_configs(directory: Path, port: int) -> Path:
    for name in ("host_key", "id"):
        keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / name)]
        subprocess.run(keygen, check=True)
    shutil.copy(directory / "id.pub", directory / "authorized_keys")
    listen = "\n".join(f"ListenAddress {a}:{port}" for a in HOST_ADDRESSES.values())
    (directory / "sshd_config").write_text(
        f"{listen}\nHostKey {directory}/host_key\nAuthorizedKeysFile {directory}/authorized_keys\n"
        "PermitRootLogin yes\nPasswordAuthentication no\nUsePAM no\nStrictModes no\n"
        f"PidFile {directory}/sshd.pid\nLogLevel VERBOSE\nMaxStartups 100\nMaxSessions 100\n"
    )
    client = directory / "ssh_config"
    blocks = [
        f"Host {name}\n  HostName {address}\n  Port {port}\n  BindAddress {address}\n"
        for name, address in HOST_ADDRESSES.items()
    ]
    client.write_text(
        "".join(blocks) + f"Host *\n  User root\n  IdentityFile {directory}/id\n"
        "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
    )
    return client


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSshd]:
    """Start sshd for the session; skip when not root (sshd needs it to switch users)."""
    if os.geteuid() != 0:
        unavailable("needs root (sshd switches users)")
    sshd_path = require_tool("sshd", "apt-get install openssh-server")
    directory = tmp_path_factory.mktemp("sshd")
    directory.chmod(0o700)
    port = _free_port()
    client = _write_configs(directory, port)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = directory / "sshd.log"
    process = subprocess.Popen(
        [sshd_path, "-D", "-f", str(directory / "sshd_config"), "-E", str(log)]
    )
    _wait_listening(HOST_ADDRESSES["h1"], port)
    server = LocalSshd(process, directory, port, log, SshSettings(config_file=str(client)))
    yield server
    server.stop()


def _wait_listening(address: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("sshd did not start listening")


@pytest.fixture(params=["sh", "subprocess"])
def runner(request: pytest.FixtureRequest) -> ProcessRunner:
    """Both process runners behind the executors: the sh library and plain subprocess."""
    return run_process if request.param == "sh" else run_process_direct
