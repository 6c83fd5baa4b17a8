from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kamalpy.commands.ssh import SshSettings
from kamalpy.errors import CommandFailed, CommandTimedOut, HostUnreachable
from kamalpy.executor.base import LOCAL, Target
from kamalpy.executor.bounds import CommandBounds
from kamalpy.executor.fanout import on_hosts
from kamalpy.executor.process import ProcessResult, ProcessRunner, run_process_direct
from kamalpy.executor.retry import RetryPolicy
from kamalpy.executor.routing import RoutingExecutor
from kamalpy.executor.ssh import SshExecutor
from tests.integration.executor.conftest import LocalSshd

pytestmark = pytest.mark.integration

FAST_RETRY = RetryPolicy(attempts=2, initial_wait=0.1, max_wait=0.2)


def test_many_commands_share_one_ssh_connection_per_host(
    sshd: LocalSshd, runner: ProcessRunner
) -> None:
    before = {name: sshd.accepted_connections(name) for name in ("h1", "h2")}
    with SshExecutor(runner=runner) as executor:
        for _ in range(20):
            for name in ("h1", "h2"):
                assert executor.run(sshd.target(name), ["echo", "hi"]).stdout == "hi\n"
        masters = [n for n in os.listdir(executor.control_dir) if n != "owner"]
    opened = {name: sshd.accepted_connections(name) - before[name] for name in ("h1", "h2")}
    assert opened == {"h1": 1, "h2": 1}
    assert len(masters) == 2


def test_close_stops_the_masters_and_removes_the_socket_dir(sshd: LocalSshd) -> None:
    executor = SshExecutor()
    executor.run(sshd.target("h1"), ["true"])
    directory = executor.control_dir
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    executor.close()
    assert not os.path.exists(directory)


def test_close_stops_the_master_of_every_host(sshd: LocalSshd) -> None:
    executor = SshExecutor()
    for name in ("h1", "h2", "h3"):
        executor.run(sshd.target(name), ["true"])
    directory = executor.control_dir
    executor.close()
    assert _processes_naming(directory) == []


def _processes_naming(text: str) -> list[int]:
    """Pids whose command line contains text (the masters carry their ControlPath)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def test_hostile_tokens_arrive_byte_exact(sshd: LocalSshd, runner: ProcessRunner) -> None:
    tokens = ["a b", "'", '"', "$(touch /tmp/kp-pwned)", "`id`", "x\ny", "é😀", "*", ";", "&&"]
    with SshExecutor(runner=runner) as executor:
        out = executor.run(sshd.target("h1"), ["printf", "%s\\0", *tokens]).stdout
    assert out.split("\0")[:-1] == tokens
    assert not Path("/tmp/kp-pwned").exists()


def test_upload_writes_stdin_to_a_file_with_mode_600(
    sshd: LocalSshd, runner: ProcessRunner, tmp_path: Path
) -> None:
    path = tmp_path / "deep" / "dir" / "web.env"
    content = b"SECRET=$(not run)\x00\xff\n"
    seen: list[tuple[str, tuple[str, ...]]] = []
    with SshExecutor(runner=runner, on_command=lambda t, a: seen.append((t, a))) as executor:
        executor.upload(sshd.target("h2"), str(path), content)
        mode = executor.run(sshd.target("h2"), ["stat", "-c", "%a", str(path)]).stdout.strip()
    assert mode == "600"
    assert path.read_bytes() == content
    assert all(b"SECRET" not in " ".join(argv).encode() for _, argv in seen)


def test_remote_failure_raises_command_failed_with_host_and_output(
    sshd: LocalSshd, runner: ProcessRunner
) -> None:
    with SshExecutor(runner=runner) as executor:
        with pytest.raises(CommandFailed) as failure:
            executor.run(sshd.target("h3"), ["sh", "-c", "echo boom >&2; exit 3"])
        unchecked = executor.run(sshd.target("h3"), ["sh", "-c", "exit 255"], check=False)
    assert failure.value.host == "h3" and failure.value.exit_status == 3
    assert "boom" in failure.value.render()
    assert unchecked.exit_status == 255  # the command's own 255, connection still alive


def test_unreachable_host_is_named_after_retries(sshd: LocalSshd) -> None:
    settings = SshSettings(config_file=sshd.settings.config_file, port=1, connect_timeout=2)
    with (
        SshExecutor(retry=FAST_RETRY) as executor,
        pytest.raises(HostUnreachable, match=r"^h1: unreachable over ssh") as failure,
    ):
        executor.run(Target("h1", settings), ["true"])
    assert failure.value.host == "h1"


def test_lost_connection_mid_command_is_host_unreachable_not_retried(
    sshd: LocalSshd, runner: ProcessRunner
) -> None:
    with SshExecutor(runner=runner) as executor:
        target = sshd.target("h1")
        executor.run(target, ["true"])
        # Kill this session's sshd (the nearest sshd above our shell, past `timeout` and the
        # channel's loop): the connection drops under the command.
        script = (
            "p=$PPID; until case $(cat /proc/$p/comm) in sshd*) true ;; *) false ;; esac; "
            "do p=$(cut -d' ' -f4 /proc/$p/stat); done; kill -9 $p; sleep 5"
        )
        with pytest.raises(HostUnreachable, match=r"^h1:"):
            executor.run(target, ["sh", "-c", script], timeout=30)


def test_fan_out_reports_each_host(sshd: LocalSshd) -> None:
    targets = [sshd.target("h1"), sshd.target("h2"), sshd.target("h3")]
    with SshExecutor() as executor:
        results = on_hosts(
            targets,
            lambda t: executor.run(t, ["sh", "-c", f"test {t.name} != h2 && echo {t.name}"]),
            limit=2,
        )
    assert sorted(results.succeeded) == ["h1", "h3"]
    assert results["h1"].stdout == "h1\n"
    assert isinstance(results.errors["h2"], CommandFailed)


def test_routing_streams_a_local_command_into_a_host(sshd: LocalSshd, tmp_path: Path) -> None:
    dest = tmp_path / "streamed"
    with RoutingExecutor() as executor:
        result = executor.pipe(
            LOCAL, ["head", "-c", "3000000", "/dev/urandom"],
            sshd.target("h1"), ["sh", "-c", f"cat > {dest}; wc -c < {dest}"],
        )  # fmt: skip
        local = executor.run(LOCAL, ["echo", "$HOME"])
    assert result.stdout.strip() == "3000000"
    assert local.stdout == "$HOME\n"


def test_a_pipe_end_past_its_bound_is_reported_as_timed_out_naming_host_and_command(
    sshd: LocalSshd,
) -> None:
    marker = f"{4000 + os.getpid() % 997}.5"  # a sleep no other process runs
    with RoutingExecutor(bounds=CommandBounds(quick=1, long=60, grace=1)) as executor:
        started = time.monotonic()
        with pytest.raises(CommandTimedOut) as failure:
            executor.pipe(
                LOCAL, ["echo", "image"],
                sshd.target("h2"), ["sh", "-c", f"cat >/dev/null; sleep {marker}"],
            )  # fmt: skip
        took = time.monotonic() - started
        left = _processes_naming(f"sleep {marker}")
        with pytest.raises(HostUnreachable, match="lost earlier in this run"):
            executor.run(sshd.target("h2"), ["true"])
    assert failure.value.render().startswith(
        "h2: timed out after 1s (killed on the host): sh -c 'cat >/dev/null; sleep"
    )
    assert took < 1 + 1 + 5, took
    assert left == [], left


def test_local_env_reaches_the_child_only() -> None:
    with RoutingExecutor() as executor:
        out = executor.run(LOCAL, ["sh", "-c", 'printf %s "$KP_SECRET"'], env={"KP_SECRET": "s3"})
    assert out.stdout == "s3"
    assert "KP_SECRET" not in os.environ


def test_plain_ssh_agrees_with_the_client_config(sshd: LocalSshd) -> None:
    config = str(sshd.settings.config_file)
    done = subprocess.run(
        ["ssh", "-F", config, "h1", "echo", "ok"], capture_output=True, timeout=20
    )
    assert done.stdout == b"ok\n"


def test_a_refused_key_fails_fast_with_a_hint(sshd: LocalSshd, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    settings = SshSettings(
        use_config=False, user="root", port=sshd.port, keys=(str(stranger),), keys_only=True,
        options=(("StrictHostKeyChecking", "no"), ("UserKnownHostsFile", "/dev/null")),
    )  # fmt: skip

    def refusals() -> int:
        return sshd.log.read_text(errors="replace").count("Connection closed by authenticating")

    before = refusals()
    with SshExecutor() as executor, pytest.raises(HostUnreachable) as failure:
        executor.run(Target("127.0.0.13", settings), ["true"])
    assert "127.0.0.13: unreachable over ssh: " in failure.value.render()
    assert "Permission denied" in failure.value.render()
    assert failure.value.hint is not None and "ssh.keys" in failure.value.hint
    time.sleep(0.2)  # sshd writes its log line as the client goes
    assert refusals() - before == 1  # one attempt: a refused key is not retried


def test_commands_share_one_shell_per_host_small_stdin_too(sshd: LocalSshd) -> None:
    # The outermost ancestor running the channel's loop (a command with stdin is fed by a
    # subshell forked from it, which shows the same command line), then the command's stdin.
    loop_of = [
        "sh", "-c", "p=$PPID; while [ \"$p\" -gt 1 ]; do "
        "grep -qs kamalpy-channel /proc/$p/cmdline && loop=$p; "
        "p=$(cut -d' ' -f4 /proc/$p/stat); done; echo \"$loop\"; cat",
    ]  # fmt: skip
    with SshExecutor() as executor:
        target = sshd.target("h1")
        shells = {executor.run(target, loop_of).stdout for _ in range(10)}
        assert executor.run(target, ["cat"]).stdout == ""  # stdin is /dev/null, not the loop's
        assert executor.run(target, ["sh", "-c", "printf 'no newline'"]).stdout == "no newline"
        fed = executor.run(target, loop_of, stdin=b"stdin over the channel").stdout
        shells.add(executor.run(target, loop_of).stdout)
    assert len(shells) == 1 and shells != {"\n"}, shells
    assert fed == shells.pop().rstrip("\n") + "\nstdin over the channel", fed


def test_the_first_channel_opens_the_connection_and_starts_no_other_process(
    sshd: LocalSshd,
) -> None:
    spawned: list[tuple[str, ...]] = []

    def recording(argv: Sequence[str], **kwargs: Any) -> ProcessResult:
        spawned.append(tuple(argv))
        return run_process_direct(argv, **kwargs)

    before = sshd.accepted_connections("h1")
    with SshExecutor(runner=recording) as executor:
        target = sshd.target("h1")
        assert executor.run(target, ["echo", "hi"]).stdout == "hi\n"
        assert executor.run(target, ["cat"], stdin=b"fed").stdout == "fed"
        assert spawned == []  # no `ssh HOST true` to connect, no ssh per command
    assert sshd.accepted_connections("h1") - before == 1
    assert [argv[-4:] for argv in spawned] == [("-O", "exit", "--", "h1")]


def test_a_command_past_its_bound_is_killed_on_the_host_and_the_host_counts_as_lost(
    sshd: LocalSshd, runner: ProcessRunner
) -> None:
    marker = f"{3000 + os.getpid() % 997}.25"  # a sleep no other process runs
    bounds = CommandBounds(quick=1, long=60, grace=1)
    with SshExecutor(bounds=bounds, runner=runner) as executor:
        target = sshd.target("h2")
        started = time.monotonic()
        with pytest.raises(CommandTimedOut) as failure:
            executor.run(target, ["sh", "-c", f"sleep {marker}; echo never"])
        took = time.monotonic() - started
        left = _processes_naming(f"sleep {marker}")
        with pytest.raises(HostUnreachable, match="lost earlier in this run"):
            executor.run(target, ["true"])
        assert executor.run(sshd.target("h3"), ["echo", "fine"]).stdout == "fine\n"
    message = failure.value.render()
    assert message.startswith(f"h2: timed out after 1s (killed on the host): sh -c 'sleep {marker}")
    assert took < bounds.quick + bounds.grace + 5, took
    assert left == [], left


def test_an_explicit_timeout_wins_over_the_kind(sshd: LocalSshd) -> None:
    with SshExecutor(bounds=CommandBounds(quick=1, grace=1)) as executor:
        done = executor.run(sshd.target("h1"), ["sh", "-c", "sleep 2; echo slow"], timeout=20)
    assert done.stdout == "slow\n"
