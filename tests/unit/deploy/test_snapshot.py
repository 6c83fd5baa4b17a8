"""The working tree from git: both ways of reading the index give the same paths and blobs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kamalpy.commands import git
from kamalpy.deploy.snapshot import _parse_ls_files, _parse_ls_files_slowly, _tracked, working_tree
from kamalpy.executor.base import LOCAL
from kamalpy.executor.local import LocalExecutor


def _git(root: Path, *args: str) -> str:
    argv = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    for name in ("a.txt", "dir/b c.txt", "dir/sub/é.txt", "tab\there.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    (tmp_path / "link").symlink_to("a.txt")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def test_formatted_and_classic_listings_agree(repo: Path) -> None:
    executor = LocalExecutor()
    classic = executor.run(LOCAL, git.ls_files_argv(repo)).stdout
    records = [r for r in classic.split("\0") if r]
    expected = dict(_parse_ls_files_slowly(records))
    assert len(expected) == 6
    assert _parse_ls_files(classic) == expected
    assert _tracked(executor, repo) == expected


def test_a_merge_conflict_keeps_ours(repo: Path) -> None:
    _git(repo, "checkout", "-qb", "other")
    (repo / "a.txt").write_text("theirs")
    _git(repo, "commit", "-qam", "theirs")
    _git(repo, "checkout", "-q", "-")
    (repo / "a.txt").write_text("ours")
    _git(repo, "commit", "-qam", "ours")
    subprocess.run(["git", "-C", str(repo), "merge", "-q", "other"], capture_output=True)
    ours = _git(repo, "rev-parse", "HEAD:a.txt").strip()
    assert _tracked(LocalExecutor(), repo)["a.txt"] == ours
    assert "a.txt" in working_tree(LocalExecutor(), repo).files
