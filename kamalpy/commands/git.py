"""Pure builders for the few git queries kamalpy makes."""

from __future__ import annotations

from pathlib import Path


def status_porcelain_argv(root: Path) -> tuple[str, ...]:
    """`git status --porcelain` in root: empty output means a clean working tree."""
    return ("git", "-C", str(root), "status", "--porcelain", "--untracked-files=normal")
