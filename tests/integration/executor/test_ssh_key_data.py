"""ssh.key_data: keys given as data reach hosts through a private ssh-agent, never argv or disk."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from kamalpy.errors import HostUnreachable, UsageError
from kamalpy.executor.base import Target
from kamalpy.executor.process import ProcessRunner
from kamalpy.executor.retry import RetryPolicy
from kamalpy.executor.ssh import SshExecutor
from kamalpy.sensitive import Sensitive
from tests.integration.executor.conftest import HOST_ADDRESSES, LocalSshd

pytestmark = pytest.mark.integration

NO_RETRY = RetryPolicy(attempts=1, initial_wait=0.1, max_wait=0.1)


def keyless_target(sshd: LocalSshd, tmp_path: Path, name: str) -> Target:
    """The host as reached by a client config that names no key at all (CI with key_data)."""
    blocks = [
        f"Host {host}\n  HostName {address}\n  Port {sshd.port}\n  BindAddress {address}\n"
        for host, address in HOST_ADDRESSES.items()
    ]
    config = tmp_path / "ssh_config"
    config.write_text(
        "".join(blocks) + "Host *\n  User root\n  IdentitiesOnly yes\n"
        "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
    )
    return Target(name, replace(sshd.settings, config_file=str(config)))


def deploy_key(sshd: LocalSshd) -> Sensitive:
    return Sensitive((sshd.directory / "id").read_text())


def test_a_key_given_as_data_opens_the_connection(
    sshd: LocalSshd, tmp_path: Path, runner: ProcessRunner
) -> None:
    seen: list[tuple[str, ...]] = []
    target = keyless_target(sshd, tmp_path, "h2")
    key = deploy_key(sshd)
    executor = SshExecutor(
        runner=runner, agent_keys=[("DEPLOY_KEY", key)], on_command=lambda _, a: seen.append(a)
    )
    with executor:
        assert executor.run(target, ["echo", "in"]).stdout == "in\n"
        ssh_argv = executor.process_argv(target, ["true"])
        files = os.listdir(executor.control_dir)
        directory = executor.control_dir
    secret = key.reveal().splitlines()[1]  # a line of the key's body
    assert not any(secret in token for argv in (*seen, ssh_argv) for token in argv)
    public = [f for f in files if f.endswith(".pub")]
    assert public == ["key-data-0.pub"]
    assert f"{directory}/key-data-0.pub" in ssh_argv  # offered under IdentitiesOnly
    assert not os.path.exists(directory)  # the agent's socket and the public half are gone


def test_without_the_key_the_same_host_refuses(sshd: LocalSshd, tmp_path: Path) -> None:
    with SshExecutor(retry=NO_RETRY) as executor, pytest.raises(HostUnreachable) as refused:
        executor.run(keyless_target(sshd, tmp_path, "h2"), ["true"])
    assert "Permission denied" in refused.value.render()


def test_the_agent_stops_with_the_executor(sshd: LocalSshd, tmp_path: Path) -> None:
    executor = SshExecutor(agent_keys=[("DEPLOY_KEY", deploy_key(sshd))])
    executor.run(keyless_target(sshd, tmp_path, "h3"), ["true"])
    socket = f"{executor.control_dir}/agent.sock"
    assert _agents_on(socket)
    executor.close()
    assert _agents_on(socket) == []


def test_a_value_that_is_not_a_key_is_named_without_showing_it(
    sshd: LocalSshd, tmp_path: Path
) -> None:
    executor = SshExecutor(agent_keys=[("DEPLOY_KEY", Sensitive("hunter2 is not a key"))])
    with executor, pytest.raises(UsageError) as refused:
        executor.run(keyless_target(sshd, tmp_path, "h1"), ["true"])
    assert "secret DEPLOY_KEY" in refused.value.render()
    assert "hunter2" not in refused.value.render()


def _agents_on(socket: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline[:1] == [b"ssh-agent"] and socket.encode() in cmdline:
                found.append(int(entry.name))
    return found
