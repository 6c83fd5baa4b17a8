"""SIGINT, SIGTERM and SIGHUP: a watched flow is asked to stop; repeats are ignored; bounded."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from kamalpy.cli import signals
from kamalpy.executor.cancel import Cancellation


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]
)
def test_first_signal_sets_the_token_repeats_are_ignored_and_cleanup_is_bounded(
    signum: int, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    gave_up = threading.Event()
    monkeypatch.setattr(signals, "_give_up", lambda *args: gave_up.set())
    cancel = Cancellation()
    before = signal.getsignal(signum)
    with signals.handled(cancel, said.append, bound=0.05), cancel.watching():
        os.kill(os.getpid(), signum)
        os.kill(os.getpid(), signum)
        assert cancel.requested
        with pytest.raises(Exception) as stopped:
            cancel.check()
        with cancel.shield():
            cancel.check()  # cleanup's own steps are not refused
    assert getattr(stopped.value, "exit_code", None) == code
    assert gave_up.wait(5)  # past the bound the process would exit anyway
    for _ in range(100):  # printed by short threads (never from inside the handler)
        if len(said) == 2:
            break
        threading.Event().wait(0.05)
    name = signal.Signals(signum).name
    assert sorted(said) == sorted(
        [
            f"{name} received: stopping; removing what took no traffic and releasing the lock",
            f"{name} ignored: still cleaning up",
        ]
    )

    assert signal.getsignal(signum) == before  # the previous handler is back


def test_without_a_watching_flow_a_signal_interrupts_at_once() -> None:
    cancel = Cancellation()
    with pytest.raises(KeyboardInterrupt), signals.handled(cancel, lambda _: None):
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0)  # give the handler a bytecode boundary
    assert cancel.error().exit_code == 143
