"""Pure builders for writing files on a host; the content always travels through stdin."""

from __future__ import annotations

import re

_MODE = re.compile(r"^[0-7]{3,4}$")


# The parent gets its own mode (e.g. 0700 for env files) in the same round trip as the upload.
_INSTALL_IN_DIR = 'mkdir -p -m "$1" "$2" && exec install -m "$3" /dev/stdin "$4"'


def install_from_stdin_argv(
    remote_path: str, mode: str = "600", *, parent_mode: str | None = None
) -> tuple[str, ...]:
    """Argv that writes stdin to `remote_path` with `mode`, creating missing parent directories.

    With `parent_mode`, the file's own directory is created with that mode (`mkdir -m`).
    """
    for value in (mode, parent_mode or "700"):
        if not _MODE.match(value):
            raise ValueError(f"file mode must be octal digits like 600, got {value!r}")
    if not remote_path or remote_path.endswith("/"):
        raise ValueError(f"upload needs a file path, got {remote_path!r}")
    parent = remote_path.rpartition("/")[0]
    if parent_mode is not None and parent:
        return ("sh", "-c", _INSTALL_IN_DIR, "kamalpy-install", parent_mode, parent, mode,
                remote_path)  # fmt: skip
    # `install -D` creates the parents and `-m` sets the mode; content never enters argv.
    return ("install", "-D", "-m", mode, "/dev/stdin", remote_path)
