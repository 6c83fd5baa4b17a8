"""Pure builder for the commands a deploy.yml's ERB runs in backticks or `%x()`."""

from __future__ import annotations

from pathlib import Path

# `$1` is the directory, `$2` the user's command line: no formatting of either into the script.
_IN_DIRECTORY = 'cd -- "$1" && exec /bin/sh -c "$2"'


def erb_command_argv(command: str, directory: Path) -> tuple[str, ...]:
    """`/bin/sh -c command` in `directory`, as Ruby's backticks run it (from the app root)."""
    return ("/bin/sh", "-c", _IN_DIRECTORY, "kamalpy-erb", str(directory), command)
