"""Acceptance: `kamalpy init` in an empty git repository, then `nox -s plan`, with no other step.

The noxfile init writes imports kamalpy's nox kit; nox runs from the environment kamalpy is
installed in (as `pip install kamalpy` sets it up: kamalpy brings nox). The plan reads what
runs on this machine's engine (the first service's host is `localhost`), so it needs Docker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kamalpy.nox import SESSIONS


def _run(argv: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(home), "USER": "alice", "LANG": "C.UTF-8",
        "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
    }  # fmt: skip
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)  # fmt: skip


def test_init_then_nox_plan_works_and_a_bare_nox_runs_nothing(tmp_path: Path) -> None:
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    assert _run(["git", "init", "-q"], repo, home).returncode == 0
    init = _run([sys.executable, "-m", "kamalpy", "init"], repo, home)
    assert init.returncode == 0, init.stdout + init.stderr
    assert (home / ".config/kamalpy/identity.txt").stat().st_mode & 0o077 == 0
    assert "alice:" in (repo / "secrets/recipients.yml").read_text()

    plan = _run([sys.executable, "-m", "nox", "-s", "plan"], repo, home)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "web  build+deploy" in plan.stdout
    assert "1 of 1 services to deploy (1 to build)." in plan.stdout

    listed = _run([sys.executable, "-m", "nox", "-l"], repo, home)
    for name in SESSIONS:  # each with its docstring, none selected for a bare `nox`
        assert any(line.startswith(f"- {name} -> ") for line in listed.stdout.splitlines()), name
    bare = _run([sys.executable, "-m", "nox"], repo, home)
    assert "Running session" not in bare.stdout + bare.stderr
