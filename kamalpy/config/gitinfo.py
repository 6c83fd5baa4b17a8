"""What the config layer needs to know about git, without running git: HEAD from `.git` files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class GitInfo:
    """Git facts for the version rule; the CLI fills `dirty` by running git (config never does).

    `head`: full SHA of HEAD, or None outside a repository.
    `dirty`: called only when needed; True when the working tree has uncommitted changes.
    `nonce`: 16 hex characters for Kamal's `_uncommitted_<hex>` suffix.
    """

    head: str | None
    dirty: Callable[[], bool] = lambda: False
    nonce: Callable[[], str] = lambda: "0" * 16


def find_git_dir(start: Path) -> Path | None:
    """The `.git` directory of the repository holding `start` (follows `gitdir:` files)."""
    for directory in (start, *start.parents):
        candidate = directory / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return target if target.is_absolute() else (directory / target).resolve()
    return None


def read_head(git_dir: Path) -> str | None:
    """The SHA HEAD points to, read from HEAD, loose refs and packed-refs; None if unborn."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.removeprefix("ref:").strip()
    for base in _ref_dirs(git_dir):
        loose = base / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip() or None
        packed = _packed_ref(base / "packed-refs", ref)
        if packed:
            return packed
    return None


def _ref_dirs(git_dir: Path) -> tuple[Path, ...]:
    # A linked worktree keeps HEAD locally but branches in the common directory.
    common = git_dir / "commondir"
    if common.is_file():
        target = Path(common.read_text(encoding="utf-8").strip())
        return (git_dir, target if target.is_absolute() else (git_dir / target).resolve())
    return (git_dir,)


def _packed_ref(packed_refs: Path, ref: str) -> str | None:
    if not packed_refs.is_file():
        return None
    for line in packed_refs.read_text(encoding="utf-8").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref and not line.startswith(("#", "^")):
            return sha
    return None


def git_info_from_files(start: Path) -> GitInfo:
    """GitInfo with HEAD read from files; `dirty` always False (only running git can tell)."""
    git_dir = find_git_dir(start.resolve())
    return GitInfo(head=read_head(git_dir) if git_dir else None)
