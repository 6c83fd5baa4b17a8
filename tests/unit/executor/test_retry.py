from __future__ import annotations

import pytest

from kamalpy.executor.retry import (
    ConnectionAttemptFailed,
    RetryPolicy,
    poll_until,
    retry_connection,
)


class Clock:
    """A fake clock whose sleep advances time, so tenacity's stop_after_delay sees it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_connection_failures_are_retried_with_backoff_then_succeed() -> None:
    attempts: list[int] = []
    clock = Clock()

    def connect() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionAttemptFailed("Connection refused")
        return "up"

    policy = RetryPolicy(attempts=3, initial_wait=0.5, max_wait=4)
    assert retry_connection(connect, policy, sleep=clock.sleep) == "up"
    assert clock.sleeps == [0.5, 1.0]


def test_the_last_connection_failure_is_reraised() -> None:
    def connect() -> None:
        raise ConnectionAttemptFailed("No route to host")

    with pytest.raises(ConnectionAttemptFailed, match="No route"):
        retry_connection(connect, RetryPolicy(attempts=2), sleep=lambda s: None)


def test_other_errors_are_never_retried() -> None:
    calls: list[int] = []

    def connect() -> None:
        calls.append(1)
        raise RuntimeError("not a connection problem")

    with pytest.raises(RuntimeError):
        retry_connection(connect, RetryPolicy(attempts=5), sleep=lambda s: None)
    assert calls == [1]


def test_poll_until_true_returns_true_after_the_attempts_it_needed() -> None:
    answers = iter([False, False, True])
    sleeps: list[float] = []
    assert poll_until(lambda: next(answers), interval=0.01, timeout=5, sleep=sleeps.append)
    assert sleeps == [0.01, 0.01]


def test_poll_until_gives_up_with_false_after_the_timeout() -> None:
    calls: list[int] = []

    def never() -> bool:
        calls.append(1)
        return False

    assert poll_until(never, interval=0.02, timeout=0.1) is False
    assert 2 <= len(calls) <= 7


def test_a_slow_attempt_counts_as_a_failure() -> None:
    import threading

    calls: list[float] = []

    def slow_then_fast() -> bool:
        calls.append(1)
        if len(calls) == 1:
            threading.Event().wait(0.5)  # answers True, but too late to count
        return True

    assert poll_until(slow_then_fast, interval=0.01, timeout=3, attempt_timeout=0.05)
    assert len(calls) == 2


def test_poll_exceptions_propagate() -> None:
    def broken() -> bool:
        raise KeyError("x")

    with pytest.raises(KeyError):
        poll_until(broken, interval=0.01, timeout=1)


def test_permanent_connection_failures_are_not_retried() -> None:
    calls: list[int] = []

    def connect() -> None:
        calls.append(1)
        raise ConnectionAttemptFailed("Permission denied (publickey).", transient=False)

    with pytest.raises(ConnectionAttemptFailed):
        retry_connection(connect, RetryPolicy(attempts=5), sleep=lambda s: None)
    assert calls == [1]
