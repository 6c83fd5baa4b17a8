"""The pipeline from files to a Configuration: ERB, YAML with marks, overlay, validate, resolve."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kamalpy.config.gitinfo import GitInfo
from kamalpy.config.model import Configuration


def load_config(
    path: Path,
    *,
    destination: str | None,
    environ: Mapping[str, str],
    version: str | None = None,
    git: GitInfo | None = None,
) -> Configuration:
    """Load `path` (+ its `deploy.<destination>.yml`), validate all of it, resolve defaults.

    `environ` feeds ERB `ENV[...]` and `$VERSION`; `git` gives HEAD for the version and ERB
    backticks (default: read from `.git` files, never dirty). Raises ConfigError listing
    every problem with file, line, column and key path.
    """
    raise NotImplementedError("loader lands in the next commit")
