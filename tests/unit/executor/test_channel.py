"""The channel's framing, end to end against the real loop run by a local `sh` (no ssh needed)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator

import pytest

from kamalpy.executor.channel import LOOP, Channel, ChannelPool, _parse, loop_argv, new_token
from tests.support.ci import require_tool


@pytest.fixture
def channel() -> Iterator[Channel]:
    token = new_token()
    opened = Channel(loop_argv(token), token)
    yield opened
    opened.close()


def _run(channel: Channel, argv: list[str], timeout: float = 10) -> tuple[int, bytes, bytes]:
    result = channel.run(shlex.join(argv), timeout)
    assert not result.ended
    return result.exit_status, result.stdout, result.stderr


CASES = [
    (["echo", "hi"], (0, b"hi\n", b"")),
    (["printf", "%s", "no newline"], (0, b"no newline", b"")),
    (["sh", "-c", "echo out; echo err >&2; exit 3"], (3, b"out\n", b"err\n")),
    (
        ["printf", "%s\\n", "a b", "'", '"', "$(id)", "`id`", "x\ny", "é"],
        (0, "a b\n'\n\"\n$(id)\n`id`\nx\ny\né\n".encode(), b""),
    ),
    (["sh", "-c", "printf '\\000\\377\\n'"], (0, b"\x00\xff\n", b"")),
    (["cat"], (0, b"", b"")),  # stdin is /dev/null, never the loop's own input
    (["sh", "-c", "printf '\\n\\n'; printf 'x' >&2"], (0, b"\n\n", b"x")),
    (["false"], (1, b"", b"")),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_each_command_comes_back_exactly(
    channel: Channel, argv: list[str], expected: tuple[int, bytes, bytes]
) -> None:
    assert _run(channel, argv) == expected
    assert _run(channel, ["echo", "next"]) == (0, b"next\n", b"")  # still in step


ALL_BYTES = bytes(range(256))
STDIN_CASES = [
    ALL_BYTES,
    b"",
    b"\n",
    b"KEY=value\nOTHER='x y'\n",
    b"no newline at the end",
    b"\\c stops %b\\n here? %s %% \\0101 \\\\",
    ALL_BYTES * 200,  # 51 KiB: under STDIN_MAX
]


@pytest.mark.parametrize("data", STDIN_CASES, ids=[str(i) for i in range(len(STDIN_CASES))])
def test_stdin_reaches_the_command_exactly(channel: Channel, data: bytes) -> None:
    result = channel.run("cat", 10, stdin=data)
    assert (result.ended, result.exit_status, result.stdout) == (False, 0, data)
    assert _run(channel, ["cat"]) == (0, b"", b"")  # the next command's stdin is /dev/null again


def test_stdin_the_command_does_not_read_leaves_the_channel_in_step(channel: Channel) -> None:
    result = channel.run("exit 4", 10, stdin=ALL_BYTES * 200)
    assert (result.ended, result.exit_status) == (False, 4)
    assert _run(channel, ["echo", "next"]) == (0, b"next\n", b"")


def test_stdin_is_in_no_argv_on_the_host(channel: Channel) -> None:
    # Every process the command's shell can see, while the feeding side still writes (more than
    # a pipe holds): the subshell that feeds it is a fork running a builtin, not a new argv.
    argvs = (
        "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done 2>/dev/null; "
        "cat >/dev/null"
    )
    result = channel.run(argvs, 10, stdin=b"s3cret-value" + b"x" * 100_000)
    assert result.exit_status == 0 and b"s3cret" not in result.stdout


def test_a_multi_line_script_runs_as_one_command(channel: Channel) -> None:
    script = "for i in 1 2 3; do\n  echo line $i\ndone\n\necho done"
    assert _run(channel, ["sh", "-c", script]) == (0, b"line 1\nline 2\nline 3\ndone\n", b"")


def test_a_large_output_arrives_whole(channel: Channel) -> None:
    status, out, _ = _run(channel, ["head", "-c", "3000000", "/dev/zero"])
    assert status == 0 and len(out) == 3000000


def test_past_its_deadline_the_channel_ends_and_says_so(channel: Channel) -> None:
    result = channel.run(shlex.join(["sleep", "30"]), 0.5)
    assert result.ended and result.timed_out
    assert not channel.alive


def test_a_channel_whose_shell_exits_reports_its_end(channel: Channel) -> None:
    result = channel.run("exit 7", 5)
    assert result.ended and not result.timed_out and result.exit_status == 7


@pytest.mark.parametrize(
    ("buffer", "expected"),
    [
        (b"out\n\nT 0\n\nT\nrest", (0, b"out\n", b"", b"rest")),
        (b"\nT 2\nerr\n\nT\n", (2, b"", b"err\n", b"")),
        (b"out\n\nT 0\n", None),  # stderr part not here yet
        (b"out\n\nT 1", None),  # status line not finished
        (b"just output", None),
    ],
)
def test_parse_waits_for_a_whole_frame(
    buffer: bytes, expected: tuple[int, bytes, bytes, bytes] | None
) -> None:
    assert _parse(buffer, b"\nT ", b"\nT\n") == expected


def test_the_pool_opens_a_second_channel_only_while_the_first_is_busy() -> None:
    pool = ChannelPool(per_host=2)
    opened: list[Channel] = []

    def new() -> Channel:
        token = new_token()
        opened.append(Channel(loop_argv(token), token))
        return opened[-1]

    try:
        first = pool.take("h1", new)
        assert first is not None
        pool.give("h1", first)
        assert pool.take("h1", new) is first and len(opened) == 1
        second = pool.take("h1", new)
        assert second is not None and second is not first
        assert pool.take("h1", new) is None  # per_host busy: the caller uses its own ssh
        assert pool.take("h2", new) is not None
    finally:
        pool.close()
    assert not any(c.alive for c in opened)


def test_the_loop_is_clean_posix_sh_for_shellcheck() -> None:
    # Not in tests/support/host_scripts.py: that catalogue is exactly kamalpy/commands' scripts.
    tool = require_tool("shellcheck", "apt-get install shellcheck")
    done = subprocess.run(
        [tool, "--shell=sh", "--format=gcc", "-"], input=LOOP, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.stdout == "", done.stdout
