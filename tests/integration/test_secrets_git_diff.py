"""With the textconv driver from `secrets init`, `git diff` names the changed secret only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import Identity
from tests.support.ci import require_tool

pytestmark = pytest.mark.integration
WORKTREE = Path(__file__).resolve().parents[2]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, check=True, text=True
    ).stdout


def test_git_diff_shows_which_secret_changed_and_no_value(tmp_path: Path) -> None:
    require_tool("git", "apt-get install git")
    key = AgeIdentity.generate()
    who = Identity((key,), "t")
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.invalid")
    git(tmp_path, "config", "user.name", "t")
    driver = f"env PYTHONPATH={WORKTREE} {sys.executable} -m kamalpy secrets textconv"
    git(tmp_path, "config", "diff.kamalpy-secrets.textconv", driver)
    members.init(tmp_path, "me", key.recipient())
    api.set_secrets(tmp_path, "web", None, {"A": "alpha-1", "B": "bravo-1"}, who)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    api.set_secrets(tmp_path, "web", None, {"B": "bravo-2"}, who)
    diff = git(tmp_path, "diff", "--", "secrets/web/default.secrets")
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert [line.split(" ")[0] for line in changed] == ["-B", "-mac", "+B", "+mac"]
    assert all("[encrypted " in line for line in changed if "B" in line)
    assert "bravo" not in diff and "alpha" not in diff
