"""A signal that lands while the editor is being started is held back, not lost with the child."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType

import pytest

from kamalpy.executor import interactive


def test_a_signal_during_the_start_is_redelivered_once_the_editor_can_be_stopped() -> None:
    seen: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        with interactive._deferred_signals() as pending:
            os.kill(os.getpid(), signal.SIGUSR1)
            assert seen == []  # held back while Popen runs
        assert signal.getsignal(signal.SIGUSR1) is handler  # the caller's handler is back
        interactive._redeliver(pending)
        assert seen == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_an_interrupt_while_waiting_stops_the_editor(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    editor = tmp_path / "editor"
    editor.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nkill -USR1 $PPID\nexec sleep 60\n")
    editor.chmod(0o755)

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signum)

    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            interactive.run_editor([str(editor)], tmp_path / "file")
    finally:
        signal.signal(signal.SIGUSR1, previous)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped: no editor outlives kamalpy
