"""Pure builders for writing files on a host; the content always travels through stdin."""

from __future__ import annotations

import re

_MODE = re.compile(r"^[0-7]{3,4}$")


def install_from_stdin_argv(remote_path: str, mode: str = "600") -> tuple[str, ...]:
    """Argv that writes stdin to `remote_path` with `mode`, creating missing parent directories."""
    if not _MODE.match(mode):
        raise ValueError(f"file mode must be octal digits like 600, got {mode!r}")
    if not remote_path or remote_path.endswith("/"):
        raise ValueError(f"upload needs a file path, got {remote_path!r}")
    # `install -D` creates the parents and `-m` sets the mode; content never enters argv.
    return ("install", "-D", "-m", mode, "/dev/stdin", remote_path)
