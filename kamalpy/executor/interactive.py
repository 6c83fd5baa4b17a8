"""Local processes for the secrets commands: the editor, and `$(command)` in dotenv files."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from kamalpy.errors import SecretsError

_EDITOR_GRACE_SECONDS = 5.0
Handler = Callable[[int, FrameType | None], Any]


def run_editor(editor: Sequence[str], path: Path) -> int:
    """Run `editor path` on the terminal and wait; if kamalpy is interrupted, stop the editor too.

    Returns the editor's exit status (negative for a signal), so the caller can clean up.
    """
    with _deferred_signals() as pending:
        try:
            process = subprocess.Popen([*editor, str(path)])
        except OSError as error:
            raise SecretsError(f"cannot start editor {editor[0]!r}: {error.strerror}") from None
    try:
        _redeliver(pending)
        return process.wait()
    except BaseException:
        # SIGINT/SIGTERM reached kamalpy: the plaintext is about to be removed, so the editor goes
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_EDITOR_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


@contextmanager
def _deferred_signals() -> Iterator[list[tuple[int, Handler]]]:
    """Hold back the handled signals while the editor starts.

    A handler that raises while Popen is still inside fork/exec loses the child: the editor would
    outlive kamalpy. Held back, the signal is redelivered once the process can be stopped.
    """
    pending: list[tuple[int, Handler]] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending  # handlers run in the main thread only: nothing to hold back here
        return
    handlers = {sig: signal.getsignal(sig) for sig in signal.valid_signals()}
    held: dict[int, Handler] = {int(sig): h for sig, h in handlers.items() if callable(h)}

    def hold(signum: int, _frame: FrameType | None) -> None:
        pending.append((signum, held[signum]))

    for sig in held:
        signal.signal(sig, hold)
    try:
        yield pending
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)


def _redeliver(pending: list[tuple[int, Handler]]) -> None:
    for signum, handler in pending[:1]:
        handler(signum, None)


def capture_shell(command: str, env: Mapping[str, str]) -> str:
    """Output of a dotenv `$(command)`, run by `sh -c` as Kamal does; errors say which."""
    # The user wrote shell in their dotenv file; running it through sh is the documented meaning.
    completed = subprocess.run(
        ["sh", "-c", command],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        # stderr may echo secrets, so only the command and status are shown
        raise SecretsError(f"$({command}) exited {completed.returncode}")
    return completed.stdout.decode("utf-8", "replace").rstrip("\n")
