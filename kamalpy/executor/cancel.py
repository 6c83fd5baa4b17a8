"""Cancellation shared by every flow of one run: a signal asks, the flows stop at their next step.

A signal handler runs in the main thread only, so raising there would land in whatever the main
thread happens to do (with parallel services, a random flow). Instead the handler sets this
token; each flow checks it before launching work and cleans up after itself. Cleanup runs
`shielded`, so its own commands are not refused.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kamalpy.errors import ExitCode, Interrupted


class Cancellation:
    """Set once by the first signal; `check()` raises Interrupted outside shielded blocks."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._signum = signal.SIGINT
        self._local = threading.local()
        self._watchers = 0
        self._lock = threading.Lock()

    def request(self, signum: int) -> bool:
        """Ask every flow to stop; True for the first request, False for repeats (ignored)."""
        with self._lock:
            if self._event.is_set():
                return False
            self._signum = signal.Signals(signum)
            self._event.set()
            return True

    @property
    def requested(self) -> bool:
        """True once a stop was asked for."""
        return self._event.is_set()

    @property
    def watched(self) -> bool:
        """True while a flow that honours the token runs (else a signal interrupts directly)."""
        return self._watchers > 0

    def error(self, message: str | None = None) -> Interrupted:
        """The Interrupted error for the signal received (exit 128 + its number)."""
        name = signal.Signals(self._signum).name
        return Interrupted(name, exit_code_for(self._signum), message)

    def check(self) -> None:
        """Raise Interrupted if a stop was asked for, unless this thread is cleaning up."""
        if self._event.is_set() and not getattr(self._local, "shielded", False):
            raise self.error()

    def wait(self, seconds: float) -> bool:
        """Pause up to `seconds`; True when a stop was asked for meanwhile."""
        return self._event.wait(seconds)

    @property
    def shielded(self) -> bool:
        """True in a thread that is cleaning up."""
        return bool(getattr(self._local, "shielded", False))

    @contextmanager
    def shield(self, on: bool = True) -> Iterator[None]:
        """Within the block, this thread's `check()` never raises (cleanup must finish)."""
        before = self.shielded
        self._local.shielded = on or before
        try:
            yield
        finally:
            self._local.shielded = before

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Mark a flow that checks the token as running."""
        with self._lock:
            self._watchers += 1
        try:
            yield
        finally:
            with self._lock:
                self._watchers -= 1


def exit_code_for(signum: int) -> int:
    """128 + the signal number, as shells report it (SIGINT 130, SIGTERM 143, SIGHUP 129)."""
    known = {signal.SIGHUP: ExitCode.HUNG_UP, signal.SIGTERM: ExitCode.TERMINATED}
    return int(known.get(signal.Signals(signum), ExitCode.INTERRUPTED))
