"""SIGINT, SIGTERM and SIGHUP, handled alike: stop launching work, clean up, exit 128 + signal.

While a flow that honours the cancellation token runs, the first signal only sets the token (the
flows stop at their next step and clean up); repeats are ignored until cleanup ends, and cleanup
is bounded: past `CLEANUP_BOUND` seconds the process exits anyway (the lock heals by itself).
Outside such a flow a signal interrupts at once, as Ctrl-C always did.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from kamalpy.executor.cancel import Cancellation, exit_code_for

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Longer than a default drain (30 s) plus removing new containers; short enough for CI runners,
# which send SIGKILL some seconds after SIGTERM anyway.
CLEANUP_BOUND = 60.0

Say = Callable[[str], None]


@contextmanager
def handled(cancel: Cancellation, say: Say, bound: float = CLEANUP_BOUND) -> Iterator[None]:
    """Route the three signals to `cancel` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def later(text: str) -> None:
        # The handler interrupts the main thread anywhere, maybe while it holds the console's
        # lock: printing from here could deadlock, a short thread prints once it is free.
        threading.Thread(target=say, args=(text,), daemon=True).start()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not cancel.request(signum):
            later(f"{signal.Signals(signum).name} ignored: still cleaning up")
            return
        if not cancel.watched:
            raise KeyboardInterrupt(signal.Signals(signum).name)
        name = signal.Signals(signum).name
        later(f"{name} received: stopping; removing what took no traffic and releasing the lock")
        timer = threading.Timer(bound, _give_up, args=(say, name, exit_code_for(signum), bound))
        timer.daemon = True
        timer.start()

    previous = {sig: signal.signal(sig, on_signal) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _give_up(say: Say, name: str, code: int, bound: float) -> None:
    say(f"cleanup after {name} took longer than {bound:g}s: exiting now")
    sys.stderr.flush()
    os._exit(code)
