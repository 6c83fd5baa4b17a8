"""`secrets edit` starts editors so they keep no copy of the plaintext, and never mistakes one
that returned at once for "no changes"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kamalpy.errors import ExitCode
from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import Identity
from tests.integration.test_secrets_edit_signals import WORKTREE, start_edit

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("name", "history"), [("vim", "viminfo="), ("nvim", "shada="), ("vi", "viminfo=")]
)
def test_vim_and_nvim_are_started_with_history_swap_and_undo_off(
    tmp_path: Path, name: str, history: str
) -> None:
    process, log, _ = start_edit(tmp_path, "fail", editor_name=name)
    process.communicate(timeout=60)
    argv = (log / "argv").read_text().splitlines()
    assert argv[:3] == ["-n", "-i", "NONE"]  # no swap file; no viminfo/shada
    before, after = argv[argv.index("--cmd") + 1], argv[argv.index("-c") + 1]
    for option in (history, "noundofile", "nobackup", "nowritebackup"):
        assert f"silent! set {option}" in before and f"silent! set {option}" in after
    assert "silent! set noswapfile" in after


def test_a_gui_editor_is_told_to_wait_and_one_returning_at_once_is_not_no_changes(
    tmp_path: Path,
) -> None:
    process, log, _ = start_edit(tmp_path, "at-once", editor_name="code")
    _, stderr = process.communicate(timeout=60)
    assert (log / "argv").read_text().splitlines()[0] == "--wait"
    assert process.returncode == ExitCode.BAD_INPUT, stderr
    assert b"returned at once without a change" in stderr and b"no changes" not in stderr


def test_an_unknown_editor_gets_one_warning_saying_what_to_check(tmp_path: Path) -> None:
    process, _, _ = start_edit(tmp_path, "fail", editor_name="myeditor")
    _, stderr = process.communicate(timeout=60)
    assert stderr.count(b"cannot switch off myeditor's own copies") == 1


@pytest.mark.skipif(shutil.which("vim") is None, reason="needs vim")
def test_real_vim_with_a_vimrc_asking_for_them_keeps_no_history_undo_backup_or_swap(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    for folder in ("undo", "backup", "swap"):
        (home / folder).mkdir(parents=True)
    (home / ".vimrc").write_text(
        f"set undofile undodir={home}/undo backup backupdir={home}/backup\n"
        f"set swapfile directory={home}/swap viminfo='100,<50,s10\n"
    )
    key = AgeIdentity.generate()
    root = tmp_path / "repo"
    root.mkdir()
    members.init(root, "me", key.recipient())
    api.set_secrets(
        root, "web", None, {"GONE": "deleted-value", "KEPT": "kept"}, Identity((key,), "t")
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PYTHONPATH": str(WORKTREE),
        "KAMALPY_IDENTITY": key.encode(),
        # delete a line, yank another: both would land in ~/.viminfo
        "EDITOR": "vim -c 'g/^GONE=/d' -c 'g/^KEPT=/y' -c x",
    }
    done = subprocess.run(
        [sys.executable, "-m", "kamalpy", "secrets", "-C", str(root), "edit", "web"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == ExitCode.OK, done.stderr
    assert api.list_names(root, "web", None) == ["KEPT"]
    left = [p for p in home.rglob("*") if p.is_file() and p.name != ".vimrc"]
    assert left == []
