"""Retries, only where repeating is known to be safe: ssh connection set-up and health polls."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often to retry an ssh connection that failed before any command ran."""

    attempts: int = 3
    initial_wait: float = 0.5
    max_wait: float = 4.0
    # No new attempt starts after this many seconds: with 5 s connect timeouts, a host whose
    # port 22 drops packets is given up after ~11 s (two attempts), not 3 x 30 s; a refused
    # or reset connection still gets all its attempts.
    within: float = 10.0


class ConnectionAttemptFailed(Exception):
    """One failed attempt to open a connection (ssh ended before the host's shell answered)."""

    def __init__(self, detail: str, *, transient: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.transient = transient  # False: retrying cannot help (bad key, unknown host key)


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, ConnectionAttemptFailed) and error.transient


def retry_connection(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `attempt` until it stops raising ConnectionAttemptFailed; re-raise the last failure."""
    from tenacity import (  # on first use: tenacity loads asyncio, slow for `--help`
        Retrying,
        retry_if_exception,
        stop_after_attempt,
        stop_after_delay,
        wait_exponential,
    )

    retrying = Retrying(
        retry=retry_if_exception(_is_transient),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.within),
        wait=wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
        sleep=sleep,
        reraise=True,
    )
    return retrying(attempt)


def poll_until(
    check: Callable[[], bool],
    *,
    interval: float,
    timeout: float,
    attempt_timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Call `check` every `interval` s until it returns True (-> True) or `timeout` s pass.

    Returns False on timeout. An attempt slower than `attempt_timeout` counts as a failure;
    exceptions from `check` propagate.
    """
    probe = check if attempt_timeout is None else _bounded(check, attempt_timeout)
    from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

    retrying = Retrying(
        retry=retry_if_result(lambda healthy: healthy is not True),
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        sleep=sleep,
        retry_error_callback=lambda _state: False,
    )
    result: bool = retrying(probe)
    return result


def _bounded(check: Callable[[], bool], seconds: float) -> Callable[[], bool]:
    """Wrap `check` so one attempt gives up (counts as False) after `seconds`."""

    def attempt() -> bool:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kamalpy-poll")
        future = pool.submit(check)
        try:
            return future.result(timeout=seconds)
        except FutureTimeout:
            return False
        finally:
            pool.shutdown(wait=False)  # a stuck probe is abandoned, never waited on

    return attempt


# ssh failures that a retry cannot fix, and what to do about them.
_PERMANENT = {
    "Host key verification failed": "the host key is unknown or changed: check it, then add "
    "it with `ssh-keyscan HOST >> ~/.ssh/known_hosts` (or StrictHostKeyChecking=accept-new)",
    "Permission denied": "the server refused every key: load the key in ssh-agent or list it "
    "under ssh.keys in deploy.yml, and check ssh.user",
    "Could not resolve hostname": "the host name does not resolve: check servers in deploy.yml "
    "and your ~/.ssh/config",
}


def hint_for(detail: str) -> str | None:
    """What to do about a connection failure a retry cannot fix; None when it may be transient."""
    return next((hint for marker, hint in _PERMANENT.items() if marker in detail), None)
