from __future__ import annotations

from pathlib import Path

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
