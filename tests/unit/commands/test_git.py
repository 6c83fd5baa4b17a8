from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kamalpy.commands import git
from kamalpy.commands.git import status_porcelain_argv


def test_status_porcelain_runs_in_the_given_root() -> None:
    assert status_porcelain_argv(Path("/repo/services/api")) == (
        "git",
        "-C",
        "/repo/services/api",
        "status",
        "--porcelain",
        "--untracked-files=normal",
    )


# The builders run by the real git in a scratch repository with a clone (no mock: git runs here).
def _git(root: Path, *args: str) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(args or ("true",), cwd=root, env=env, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


def _run(argv: tuple[str, ...], root: Path) -> subprocess.CompletedProcess[str]:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"}
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, str]:
    """(origin with two commits, a depth-1 clone of its first, the second commit's SHA)."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "git", "init", "-q", "-b", "main")
    (origin / "svc").mkdir()
    (origin / "svc/a.txt").write_text("one\n")
    _git(origin, "git", "add", "-A")
    _git(origin, "git", "commit", "-q", "-m", "one")
    clone = tmp_path / "clone"
    _git(tmp_path, "git", "clone", "-q", "--depth=1", f"file://{origin}", str(clone))
    (origin / "svc/b.txt").write_text("two\n")
    _git(origin, "git", "add", "-A")
    _git(origin, "git", "commit", "-q", "-m", "two")
    return origin, clone, _git(origin, "git", "rev-parse", "HEAD").strip()


def test_tree_queries_read_paths_blobs_and_changes(repo: tuple[Path, Path, str]) -> None:
    origin, _, head = repo
    blob = _git(origin, "git", "rev-parse", "HEAD:svc/a.txt").strip()
    assert _run(git.ls_files_argv(origin / "svc"), origin).stdout.split("\0") == [
        f"100644 {blob} 0\ta.txt",
        f"100644 {_git(origin, 'git', 'rev-parse', 'HEAD:svc/b.txt').strip()} 0\tb.txt",
        "",
    ]
    assert _run(git.ls_tree_argv(origin / "svc", head), origin).stdout.split("\0")[0] == (
        f"100644 blob {blob}\tsvc/a.txt"  # --full-tree: paths from the top, not from svc/
    )
    assert _run(git.cat_blob_argv(origin, blob), origin).stdout == "one\n"
    (origin / "svc/a.txt").write_text("changed\n")
    (origin / "new").mkdir()
    (origin / "new/-n.txt").write_text("untracked\n")  # a name git must not read as an option
    changed = _run(git.status_v2_argv(origin), origin).stdout.split("\0")
    assert changed[0].startswith("1 .M ") and changed[0].endswith(" svc/a.txt")
    assert changed[1:] == ["? new/-n.txt", ""]  # each untracked file, not its directory
    (origin / "-n.txt").write_text("untracked\n")
    hashed = _run(git.hash_objects_argv(origin, ("svc/a.txt", "-n.txt")), origin).stdout
    assert hashed.split() == [_git(origin, "git", "hash-object", "--", p).strip()
                              for p in ("svc/a.txt", "-n.txt")]  # fmt: skip
    assert _run(git.toplevel_argv(origin / "svc"), origin).stdout == f"{origin}\n"
    assert _run(git.head_argv(origin / "svc"), origin).stdout == f"{head}\n"


def test_a_missing_commit_is_fetched_into_a_shallow_clone_keeping_it_shallow(
    repo: tuple[Path, Path, str],
) -> None:
    _, clone, second = repo
    assert _run(git.is_shallow_argv(clone), clone).stdout == "true\n"
    missing = _run(git.has_commit_argv(clone, second), clone)
    assert (missing.returncode, missing.stdout, missing.stderr) == (1, "", "")
    fetched = _run(git.fetch_commit_argv(clone, second, shallow=True), clone)
    assert (fetched.returncode, fetched.stdout) == (0, "")
    assert _run(git.has_commit_argv(clone, second), clone).stdout == f"{second}\n"
    assert _run(git.is_shallow_argv(clone), clone).stdout == "true\n"
    assert _run(git.has_commit_argv(clone, "HEAD~5"), clone).returncode == 1


def test_fetch_without_shallow_deepens_nothing_and_fetches_no_tags(tmp_path: Path) -> None:
    assert git.fetch_commit_argv(tmp_path, "abc", shallow=False) == (
        "git", "-C", str(tmp_path), "fetch", "--quiet", "--no-tags", "origin", "abc"
    )  # fmt: skip
    assert git.fetch_commit_argv(tmp_path, "abc", shallow=True)[5:] == (
        "--no-tags", "--depth=1", "origin", "abc"
    )  # fmt: skip


def test_head_of_a_repository_without_commits_fails_quietly(tmp_path: Path) -> None:
    _git(tmp_path, "git", "init", "-q")
    done = _run(git.head_argv(tmp_path), tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")


def test_a_staged_rename_reads_as_a_deletion_and_an_addition(repo: tuple[Path, Path, str]) -> None:
    origin, _, _ = repo
    _git(origin, "git", "mv", "svc/a.txt", "svc/moved.txt")
    changed = _run(git.status_v2_argv(origin), origin).stdout.split("\0")
    assert [entry.split(" ")[:2] for entry in changed[:-1]] == [["1", "D."], ["1", "A."]]
    assert changed[0].endswith(" svc/a.txt") and changed[1].endswith(" svc/moved.txt")


@pytest.mark.parametrize(
    ("builder", "tail"),
    [
        (git.ls_files_fields_argv,
         ("ls-files", "-z", "--format=%(path)%x00%(objectname)%x00%(stage)")),
        (git.cat_blobs_argv, ("cat-file", "--batch=%(objectname) %(objectsize)")),
    ],
)  # fmt: skip
def test_the_batched_reads_are_exact(builder: object, tail: tuple[str, ...]) -> None:
    assert builder(Path("/repo")) == ("git", "-C", "/repo", *tail)  # type: ignore[operator]


def test_cat_blobs_prints_each_blob_s_id_size_and_content(repo: tuple[Path, Path, str]) -> None:
    origin, _, _ = repo
    blob = _git(origin, "git", "rev-parse", "HEAD:svc/a.txt").strip()
    content = _git(origin, "git", "cat-file", "blob", blob)
    done = subprocess.run(git.cat_blobs_argv(origin), cwd=origin, input=blob + "\n",
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.stdout == f"{blob} {len(content.encode())}\n{content}\n"
