"""Pure builders for the few git queries kamalpy makes."""

from __future__ import annotations

from pathlib import Path


def status_porcelain_argv(root: Path) -> tuple[str, ...]:
    """`git status --porcelain` in root: empty output means a clean working tree."""
    return ("git", "-C", str(root), "status", "--porcelain", "--untracked-files=normal")


def _git(root: Path, *args: str) -> tuple[str, ...]:
    return ("git", "-C", str(root), *args)


def ls_files_argv(root: Path) -> tuple[str, ...]:
    """Tracked paths with blob ids, NUL-separated: `<mode> <blob> <stage>\\t<path>`."""
    return _git(root, "ls-files", "--stage", "-z")


def ls_files_fields_argv(root: Path) -> tuple[str, ...]:
    """Tracked paths as NUL-separated fields `path`, `blob`, `stage` (git 2.38 and later)."""
    return _git(root, "ls-files", "-z", "--format=%(path)%x00%(objectname)%x00%(stage)")


def status_v2_argv(root: Path) -> tuple[str, ...]:
    """Paths whose working-tree content differs from HEAD (untracked too), NUL-separated."""
    return _git(root, "status", "--porcelain=v2", "-z", "--untracked-files=all", "--no-renames")


def hash_objects_argv(root: Path, paths: tuple[str, ...]) -> tuple[str, ...]:
    """The blob id each working-tree file would have, one per line (nothing is written)."""
    return _git(root, "hash-object", "--", *paths)


def ls_tree_argv(root: Path, revision: str) -> tuple[str, ...]:
    """Every path of a commit with its blob id, NUL-separated: `<mode> blob <id>\\t<path>`."""
    return _git(root, "ls-tree", "-r", "-z", "--full-tree", revision)


def cat_blob_argv(root: Path, blob: str) -> tuple[str, ...]:
    """The content of one blob."""
    return _git(root, "cat-file", "blob", blob)


def cat_blobs_argv(root: Path) -> tuple[str, ...]:
    """The content of each blob id read from stdin (one per line): `<id> <size>`, content, LF."""
    return _git(root, "cat-file", "--batch=%(objectname) %(objectsize)")


def has_commit_argv(root: Path, revision: str) -> tuple[str, ...]:
    """Exits 0 and prints the full SHA when `revision` names a commit present here."""
    return _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")


def is_shallow_argv(root: Path) -> tuple[str, ...]:
    """Prints `true` in a shallow clone."""
    return _git(root, "rev-parse", "--is-shallow-repository")


def fetch_commit_argv(root: Path, revision: str, *, shallow: bool) -> tuple[str, ...]:
    """Fetch one commit from `origin` (depth 1 in a shallow clone, to stay shallow)."""
    depth = ("--depth=1",) if shallow else ()
    return _git(root, "fetch", "--quiet", "--no-tags", *depth, "origin", revision)


def head_argv(root: Path) -> tuple[str, ...]:
    """The full SHA of HEAD."""
    return _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")


def toplevel_argv(root: Path) -> tuple[str, ...]:
    """The repository's top directory."""
    return _git(root, "rev-parse", "--show-toplevel")
