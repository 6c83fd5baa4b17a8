from __future__ import annotations

import pytest

from kamalpy.errors import CommandFailed
from kamalpy.executor.base import LOCAL, Target
from kamalpy.executor.recording import Recorded, RecordingExecutor

H1 = Target("h1")


def test_records_and_prints_host_and_quoted_command() -> None:
    printed: list[str] = []
    executor = RecordingExecutor(emit=printed.append)
    result = executor.run(H1, ["docker", "run", "--env", "A=b c"])
    assert result.ok and result.stdout == ""
    assert printed == ["h1: docker run --env 'A=b c'"]
    assert executor.calls == [Recorded("h1", ("docker", "run", "--env", "A=b c"))]


def test_upload_records_the_length_never_the_content() -> None:
    printed: list[str] = []
    executor = RecordingExecutor(emit=printed.append)
    executor.upload(H1, ".kamal/x.env", b"SECRET=hunter2\n")
    assert executor.calls == [
        Recorded("h1", ("install", "-D", "-m", "600", "/dev/stdin", ".kamal/x.env"), 15, "upload")
    ]
    assert "hunter2" not in repr(executor.calls) + "".join(printed)
    assert printed == ["h1: install -D -m 600 /dev/stdin .kamal/x.env  # 15 bytes on stdin"]


def test_canned_output_matches_by_prefix_and_target() -> None:
    executor = RecordingExecutor()
    executor.respond(["docker", "ps"], stdout="abc\n", target="h2")
    executor.respond(lambda argv: argv[0] == "docker", stdout="any")
    assert executor.run(Target("h2"), ["docker", "ps", "-q"]).stdout == "abc\n"
    assert executor.run(H1, ["docker", "ps", "-q"]).stdout == "any"
    assert executor.run(H1, ["true"]).stdout == ""


def test_canned_failure_raises_command_failed_when_checked() -> None:
    executor = RecordingExecutor()
    executor.respond(["false"], exit_status=1, stderr="nope")
    with pytest.raises(CommandFailed, match="h1: command exited 1: false"):
        executor.run(H1, ["false"])
    assert executor.run(H1, ["false"], check=False).exit_status == 1


def test_pipe_prints_both_ends_on_one_line() -> None:
    printed: list[str] = []
    executor = RecordingExecutor(emit=printed.append)
    executor.pipe(LOCAL, ["docker", "save", "app:1"], H1, ["docker", "load"])
    assert printed == ["local: docker save app:1 | h1: docker load"]
    assert executor.commands_for("h1") == [("docker", "load")]


def test_on_command_hook_sees_every_command() -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []
    with RecordingExecutor(on_command=lambda t, a: seen.append((t, a))) as executor:
        executor.run(H1, ["true"])
    assert seen == [("h1", ("true",))]


def test_canned_answer_used_up_after_times_falls_through() -> None:
    executor = RecordingExecutor()
    executor.respond(["docker", "image"], exit_status=1, times=1)
    executor.respond(["docker", "image"], stdout="sha256:a")
    assert executor.run(H1, ["docker", "image", "inspect"], check=False).exit_status == 1
    assert executor.run(H1, ["docker", "image", "inspect"]).stdout == "sha256:a"


def test_an_attached_run_is_recorded_and_printed_like_any_command() -> None:
    printed: list[str] = []
    executor = RecordingExecutor(emit=printed.append)
    status = executor.attach(H1, ["docker", "logs", "--follow", "web"], tty=False)
    assert status == 0
    assert executor.calls == [Recorded("h1", ("docker", "logs", "--follow", "web"), None, "attach")]
    assert printed == ["h1: docker logs --follow web"]
