"""The working tree and past revisions as Trees, read from a real git repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kamalpy.deploy.snapshot import RevisionTrees, working_tree
from kamalpy.executor.local import LocalExecutor

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env=ENV).stdout.strip()  # fmt: skip


def make_repo(root: Path) -> str:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("a\n")
    (root / "sub").mkdir()
    (root / "sub/b.txt").write_text("b\n")
    (root / "gone.txt").write_text("g\n")
    (root / ".gitignore").write_text("*.log\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    return git(root, "rev-parse", "HEAD")


def test_working_tree_sees_edits_untracked_and_deletions_but_not_ignored(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    head = make_repo(root)
    clean = working_tree(LocalExecutor(), root)
    assert clean.revision == head and clean.dirty == frozenset()
    assert clean.files["a.txt"] == git(root, "rev-parse", "HEAD:a.txt")
    (root / "a.txt").write_text("changed\n")
    (root / "new file.txt").write_text("n\n")
    (root / "debug.log").write_text("ignored\n")
    (root / "gone.txt").unlink()
    tree = working_tree(LocalExecutor(), root)
    assert tree.files["a.txt"] == git(root, "hash-object", "a.txt")
    assert "new file.txt" in tree.files and "debug.log" not in tree.files
    assert "gone.txt" not in tree.files
    assert tree.dirty == {"a.txt", "new file.txt", "gone.txt"}
    assert tree.read("sub/b.txt") == b"b\n"


def test_a_file_edited_then_put_back_has_its_committed_blob_again(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root)
    committed = working_tree(LocalExecutor(), root).files
    (root / "a.txt").write_text("a\n")  # same content, new mtime
    assert working_tree(LocalExecutor(), root).files == committed


def test_past_revision_is_fetched_into_a_shallow_clone(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    first = make_repo(origin)
    (origin / "a.txt").write_text("two\n")
    git(origin, "commit", "-q", "-am", "two")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow)],
                   check=True)  # fmt: skip
    trees = RevisionTrees(LocalExecutor(), shallow)
    old = trees.get(first)
    assert old is not None
    assert old.read("a.txt") == b"a\n"
    assert git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    assert trees.get("f" * 40) is None
