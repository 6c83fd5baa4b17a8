"""Local processes for the secrets commands: the editor, and `$(command)` in dotenv files."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from kamalpy.errors import SecretsError

_EDITOR_GRACE_SECONDS = 5.0


def run_editor(editor: Sequence[str], path: Path) -> int:
    """Run `editor path` on the terminal and wait; if kamalpy is interrupted, stop the editor too.

    Returns the editor's exit status (negative for a signal), so the caller can clean up.
    """
    try:
        process = subprocess.Popen([*editor, str(path)])
    except OSError as error:
        raise SecretsError(f"cannot start editor {editor[0]!r}: {error.strerror}") from None
    try:
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
