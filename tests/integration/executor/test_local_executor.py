"""The local executor against real processes (no bed needed)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kamalpy.errors import CommandFailed, CommandTimedOut
from kamalpy.executor.base import LOCAL, Target
from kamalpy.executor.bounds import CommandBounds
from kamalpy.executor.local import LocalExecutor
from kamalpy.executor.process import ProcessRunner


def test_stdout_stderr_status_and_stdin_bytes(runner: ProcessRunner) -> None:
    with LocalExecutor(runner=runner) as executor:
        result = executor.run(LOCAL, ["sh", "-c", "cat; echo err >&2; exit 4"], stdin=b"in\xc3\xa9",
                              check=False)  # fmt: skip
    assert (result.exit_status, result.stdout, result.stderr) == (4, "iné", "err\n")
    assert not result.ok and result.seconds > 0


def test_missing_program_is_a_command_failure_with_127(runner: ProcessRunner) -> None:
    with pytest.raises(CommandFailed, match="local: command exited 127: no-such-program-kp"):
        LocalExecutor(runner=runner).run(LOCAL, ["no-such-program-kp", "x"])


def test_timeout_kills_the_command_and_says_so(runner: ProcessRunner) -> None:
    with pytest.raises(CommandFailed, match=r"timed out after 0\.2s") as failure:
        LocalExecutor(runner=runner).run(LOCAL, ["sleep", "5"], timeout=0.2)
    assert failure.value.exit_status == 124


def test_a_local_host_command_past_its_bound_is_stopped_with_its_children(
    runner: ProcessRunner, tmp_path: Path
) -> None:
    marker = f"{5000 + os.getpid() % 997}.5"  # a sleep no other process runs
    executor = LocalExecutor(runner=runner, host_home=str(tmp_path),
                             bounds=CommandBounds(quick=1, long=60, grace=1))  # fmt: skip
    started = time.monotonic()
    with pytest.raises(CommandTimedOut) as failure:
        executor.run(Target("localhost", local=True), ["sh", "-c", f"sleep {marker}; echo never"])
    took = time.monotonic() - started
    assert failure.value.render().startswith(
        f"localhost: timed out after 1s (killed on the host): sh -c 'sleep {marker}"
    )
    assert took < 1 + 1 + 5, took
    assert not any(  # the script's child too, not only the shell we waited for
        f"sleep {marker}".encode() in _cmdline(pid) for pid in os.listdir("/proc") if pid.isdigit()
    )


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""


def test_killed_by_a_signal_reports_128_plus_signal(runner: ProcessRunner) -> None:
    result = LocalExecutor(runner=runner).run(LOCAL, ["sh", "-c", "kill -9 $$"], check=False)
    assert result.exit_status == 137


def test_env_overlay_reaches_every_child_and_pipes(tmp_path: Path, runner: ProcessRunner) -> None:
    executor = LocalExecutor(env={"KP_OVERLAY": "one"}, runner=runner)
    assert executor.run(LOCAL, ["sh", "-c", 'echo "$KP_OVERLAY"']).stdout == "one\n"
    piped = executor.pipe(LOCAL, ["sh", "-c", 'echo "$KP_OVERLAY"'], LOCAL, ["cat"])
    assert piped.stdout == "one\n"


def test_pipe_blames_the_consumer_first_and_ignores_the_producers_sigpipe(
    runner: ProcessRunner,
) -> None:
    executor = LocalExecutor(runner=runner)
    with pytest.raises(CommandFailed, match="local: command exited 3: sh -c 'head -c1; exit 3'"):
        executor.pipe(LOCAL, ["yes"], LOCAL, ["sh", "-c", "head -c1; exit 3"])
    ok = executor.pipe(LOCAL, ["yes"], LOCAL, ["head", "-c", "2"])
    assert ok.stdout == "y\n"


def test_pipe_reports_a_failing_producer(runner: ProcessRunner) -> None:
    with pytest.raises(CommandFailed, match="exited 2: sh -c 'exit 2'"):
        LocalExecutor(runner=runner).pipe(LOCAL, ["sh", "-c", "exit 2"], LOCAL, ["cat"])


def test_upload_creates_parents_and_sets_the_mode(tmp_path: Path, runner: ProcessRunner) -> None:
    path = tmp_path / "a" / "b" / "file"
    LocalExecutor(runner=runner).upload(LOCAL, str(path), b"x", mode="640")
    assert oct(path.stat().st_mode & 0o777) == "0o640" and path.read_bytes() == b"x"
