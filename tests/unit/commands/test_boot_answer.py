"""The boot script's verdict lines read back whole, and a resumed readiness wait."""

from __future__ import annotations

import pytest

from kamalpy.commands.boot_script import BootAnswer, Readiness, read_answer


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ("", BootAnswer("", "", "", 0.0, ())),
        ("boot\nready\nthen 0 0\nthen 1 0\n", BootAnswer("boot", "ready", "", 0.0, (0, 0))),
        ("reuse\ntimeout\n", BootAnswer("reuse", "timeout", "", 0.0, ())),
        ("started\npending 10250\n", BootAnswer("started", "pending", "", 10.25, ())),
        ("boot\nstopped exited none 1\n", BootAnswer("boot", "stopped", "exited none 1", 0.0, ())),
        ("ready\nthen 0 0\nthen 1 3\n", BootAnswer("", "ready", "", 0.0, (0, 3))),
        # words with something after them are not verdicts; unknown lines are ignored
        ("boot now\nready soon\nnoise\n", BootAnswer("", "", "", 0.0, ())),
    ],
)  # fmt: skip
def test_the_answer_lines_are_read_whole(stdout: str, expected: BootAnswer) -> None:
    assert read_answer(stdout) == expected


def test_stderr_is_kept_as_the_errors() -> None:
    assert read_answer("boot\n", "no space left\n").errors == "no space left\n"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.0, Readiness(7.0, 30.0, 4.0)),
        (2.5, Readiness(4.5, 27.5, 4.0)),
        (9.0, Readiness(0.0, 21.0, 4.0)),  # the delay cannot go below zero
    ],
)
def test_a_resumed_wait_keeps_what_is_left_of_the_delay_and_the_limit(
    seconds: float, expected: Readiness
) -> None:
    assert Readiness(7.0, 30.0, 4.0).waited(seconds) == expected
