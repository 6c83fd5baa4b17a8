"""`kamalpy secrets edit`: the editor, and the process kept from leaving plaintext behind.

While plaintext exists, every catchable signal unwinds like ^C (so the edit folder is removed)
and core dumps are off. SIGKILL cannot be caught: the next edit sweeps what it left.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Final

from kamalpy.cli.output import Console
from kamalpy.errors import ExitCode, SecretsError, UsageError
from kamalpy.executor.interactive import run_editor
from kamalpy.secrets.edit import EditResult, edit_secrets
from kamalpy.secrets.editor import editor_command
from kamalpy.secrets.identity import Identity

# Signals that stop a process by default but cannot be handled (SIGKILL, SIGSTOP), or that
# mean a bug in this process (a handler would run on a broken interpreter), or that do not stop it.
_NOT_HANDLED: Final = {
    "SIGKILL", "SIGSTOP", "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGCHLD",
    "SIGCONT", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGWINCH", "SIGINT", "SIGPIPE",
}  # fmt: skip
# An editor that returns sooner than this without a change most likely opened a window and
# returned (code without --wait): that is not "no changes".
_AT_ONCE_SECONDS: Final = 1.0
_PR_SET_DUMPABLE: Final = 4


def catchable_signals() -> list[int]:
    """Every signal that would end kamalpy and can be turned into a clean unwind."""
    out = []
    for number in signal.valid_signals():
        try:
            name = signal.Signals(number).name
        except ValueError:  # a real-time signal without a name also ends the process
            name = ""
        if name not in _NOT_HANDLED:
            out.append(int(number))
    return out


@contextmanager
def plaintext_guard() -> Iterator[None]:
    """Signals unwind like ^C (so `finally` removes plaintext) and no core dump is written."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {}
    for sig in catchable_signals():
        try:
            if signal.getsignal(sig) is not signal.SIG_IGN:  # keep what nohup ignores
                previous[sig] = signal.signal(sig, interrupt)
        except (OSError, ValueError):
            continue
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))  # the editor inherits it
    _set_dumpable(False)  # a core_pattern pipe (systemd-coredump) ignores RLIMIT_CORE
    try:
        yield
    finally:
        _set_dumpable(True)
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _set_dumpable(on: bool) -> None:
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, int(on), 0, 0, 0)
    except (OSError, AttributeError):
        return  # best effort: RLIMIT_CORE is already 0


def editor_argv(environ: dict[str, str]) -> list[str]:
    """$VISUAL, else $EDITOR, else vi, split like a shell would."""
    command = environ.get("VISUAL") or environ.get("EDITOR") or "vi"
    argv = shlex.split(command)
    if not argv:
        raise UsageError("$VISUAL/$EDITOR is empty")
    return argv


def run_edit(
    args: argparse.Namespace, console: Console, environ: dict[str, str], root: Path, who: Identity
) -> int:
    """Edit one file's values; report what changed."""
    editor = editor_argv(environ)
    found = shutil.which(editor[0], path=environ.get("PATH"))
    # /usr/bin/vi may be vim, nvi or busybox: decide by what it really is
    command = editor_command(editor, os.path.realpath(found) if found else None)
    if command.advice:
        console.warn(command.advice)
    quick: list[bool] = []

    def launch(path: Path) -> int:
        start = time.monotonic()
        status = run_editor(command.argv, path)
        quick.append(time.monotonic() - start < _AT_ONCE_SECONDS)
        return status

    with plaintext_guard():
        result = edit_secrets(root, args.scope, args.destination, who, launch)
    return _report(console, result, bool(quick) and quick[-1], editor[0])


def _report(console: Console, result: EditResult, at_once: bool, editor: str) -> int:
    if not (result.added or result.changed or result.removed):
        if at_once:
            raise SecretsError(
                f"{editor} returned at once without a change; {result.path} is unchanged",
                hint="an editor that opens a window must wait for it to close: set "
                "EDITOR='code --wait' (or subl -w, gvim -f)",
            )
        console.info(f"{result.path}: no changes")
        return ExitCode.OK
    for label, names in (
        ("added", result.added),
        ("changed", result.changed),
        ("removed", result.removed),
    ):
        if names:
            console.info(f"{result.path}: {label} {', '.join(names)}")
    return ExitCode.OK
