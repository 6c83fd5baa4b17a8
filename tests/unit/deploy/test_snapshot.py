"""The working tree from git: both ways of reading the index give the same paths and blobs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kamalpy.commands import git
from kamalpy.deploy.snapshot import (
    RevisionTrees,
    _parse_ls_files,
    _parse_ls_files_slowly,
    _tracked,
    parse_cat_batch,
    working_tree,
)
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


class CountingExecutor(LocalExecutor):
    """The local executor, noting the git subcommand of each run."""

    def __init__(self) -> None:
        super().__init__()
        self.subcommands: list[str] = []

    def run(self, target, argv, **kwargs):  # type: ignore[no-untyped-def]
        self.subcommands.append(argv[3])
        return super().run(target, argv, **kwargs)


def test_a_past_revision_reads_the_rules_files_in_one_batch(tmp_path: Path) -> None:
    files = {
        "services/api/deploy.yml": "service: api\n",
        "services/api/Dockerfile": "FROM x\nCOPY . .\n",
        "services/api/pyproject.toml": "[project]\nname = 'é'\n",
        "services/api/.dockerignore": "",  # empty content parses too
        "services/api/app.py": "print('hi')\n",
        "services/web/config/deploy.staging.yml": "env: {}\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one")
    head = _git(tmp_path, "rev-parse", "HEAD").strip()
    executor = CountingExecutor()
    tree = RevisionTrees(executor, tmp_path).get(head)
    assert tree is not None
    executor.subcommands.clear()
    read = {name: tree.read(name).decode() for name in files if name != "services/api/app.py"}
    assert read == {k: v for k, v in files.items() if k != "services/api/app.py"}
    assert executor.subcommands == ["cat-file"]  # one batch for all five
    assert tree.read("services/api/app.py") == b"print('hi')\n"  # not a rules file: alone
    assert executor.subcommands == ["cat-file", "cat-file"]


@pytest.mark.parametrize(
    ("blobs", "out", "expected"),
    [
        (["a1", "b2"], b"a1 3\nxyz\nb2 0\n\n", {"a1": b"xyz", "b2": b""}),
        (["a1", "b2"], b"a1 3\nxyz\nb2 missing\n", {"a1": b"xyz"}),  # absent: the rest alone
        (["a1", "b2"], b"a1 2\nxyz\nb2 1\nq\n", {}),  # size and content disagree: stop
        (["a1"], b"zz 3\nxyz\n", {}),  # not the blob asked for
        (["a1"], b"", {}),
    ],
)
def test_cat_batch_output_is_parsed_record_by_record(
    blobs: list[str], out: bytes, expected: dict[str, bytes]
) -> None:
    assert parse_cat_batch(out, blobs) == expected
