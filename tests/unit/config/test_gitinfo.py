from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kamalpy.config.gitinfo import find_git_dir, git_info_from_files, read_head
from tests.support.ci import find_tool

SHA = "0123456789abcdef0123456789abcdef01234567"


def _repo(tmp_path: Path) -> Path:
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    return git


def test_head_from_a_loose_branch_ref(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    (git / "refs" / "heads" / "main").write_text(SHA + "\n")
    (tmp_path / "sub").mkdir()
    assert git_info_from_files(tmp_path / "sub").head == SHA


def test_head_from_packed_refs(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{SHA} refs/heads/main\n")
    assert read_head(git) == SHA


def test_detached_head(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    (git / "HEAD").write_text(SHA + "\n")
    assert read_head(git) == SHA


def test_unborn_branch_has_no_head(tmp_path: Path) -> None:
    assert read_head(_repo(tmp_path)) is None


def test_linked_worktree_reads_branches_from_the_common_dir(tmp_path: Path) -> None:
    main = _repo(tmp_path / "main")
    (main / "refs" / "heads" / "feature").write_text(SHA + "\n")
    worktree_git = main / "worktrees" / "wt"
    worktree_git.mkdir(parents=True)
    (worktree_git / "HEAD").write_text("ref: refs/heads/feature\n")
    (worktree_git / "commondir").write_text("../..\n")
    checkout = tmp_path / "wt"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {worktree_git}\n")
    assert find_git_dir(checkout) == worktree_git
    assert git_info_from_files(checkout).head == SHA


def test_outside_a_repository_there_is_no_head(tmp_path: Path) -> None:
    assert git_info_from_files(tmp_path).head is None


def test_agrees_with_git_on_this_checkout() -> None:
    here = Path(__file__).parent
    if find_tool("git") is None or find_git_dir(here) is None:
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
    )
    assert git_info_from_files(here).head == result.stdout.strip()
