"""A background action repeated at a fixed interval while a block runs (the lock's heartbeat)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def every(interval: float, action: Callable[[], None]) -> Iterator[None]:
    """Call `action` every `interval` seconds in a daemon thread until the block ends.

    An exception from `action` is swallowed and the next beat tries again: a missed heartbeat
    only brings the lock closer to being judged stale, which is what it should do.
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                action()
            except Exception:  # a beat may fail: the next one tries again (see docstring)
                continue

    thread = threading.Thread(target=beat, name="kamalpy-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
