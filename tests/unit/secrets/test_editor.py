"""Editors are started so they keep no copy of the plaintext (history, swap, undo, backup)."""

from __future__ import annotations

import pytest

from kamalpy.secrets.editor import editor_command

VIM_AFTER = (
    "silent! set viminfo= | silent! set viminfofile=NONE | silent! set noundofile | "
    "silent! set nobackup | silent! set nowritebackup"
)


@pytest.mark.parametrize("editor", [["vim"], ["/usr/bin/vi"], ["vim.basic"], ["view"]])
def test_vim_starts_without_swap_viminfo_undo_or_backup(editor: list[str]) -> None:
    command = editor_command(editor)
    assert command.argv == (
        *editor,
        "-n",
        "-i",
        "NONE",
        "--cmd",
        VIM_AFTER,
        "-c",
        VIM_AFTER + " | silent! set noswapfile",
    )
    assert command.advice is None


def test_nvim_starts_without_swap_shada_undo_or_backup() -> None:
    argv = editor_command(["nvim", "-u", "NORC"]).argv
    assert argv[:4] == ("nvim", "-n", "-i", "NONE") and argv[-2:] == ("-u", "NORC")
    assert "silent! set shada=" in argv[5] and "silent! set shadafile=NONE" in argv[5]
    assert "noundofile" in argv[7] and "noswapfile" in argv[7] and "nobackup" in argv[7]


def test_gui_vim_is_kept_in_the_foreground() -> None:
    assert editor_command(["gvim"]).argv[:3] == ("gvim", "-f", "-n")
    assert editor_command(["gvim", "-f"]).argv[:3] == ("gvim", "-n", "-i")


def test_a_vi_that_is_not_vim_gets_no_vim_options_but_the_advice() -> None:
    command = editor_command(["vi"], resolved="/usr/bin/busybox")
    assert command.argv == ("vi",) and command.advice and "busybox" not in command.advice
    assert editor_command(["vi"], resolved="/usr/bin/vim.basic").argv[1] == "-n"


@pytest.mark.parametrize(
    ("editor", "argv"),
    [
        (["code"], ("code", "--wait")),
        (["code", "-w"], ("code", "-w")),
        (["subl", "--wait"], ("subl", "--wait")),
        (["kate"], ("kate", "--block")),
        (["nano"], ("nano",)),
    ],
)
def test_gui_editors_are_told_to_wait_and_unknown_ones_get_advice(
    editor: list[str], argv: tuple[str, ...]
) -> None:
    command = editor_command(editor, resolved="/snap/bin/snap")
    assert command.argv == argv
    assert command.advice is not None and "history" in command.advice


def test_the_advice_names_the_editor_as_typed_and_what_to_check() -> None:
    assert editor_command(["/opt/bin/nano", "-R"], resolved="/usr/bin/nano").advice == (
        "kamalpy cannot switch off nano's own copies of what you edit: check that it keeps no "
        "history, swap, undo, backup or 'local history' files of this file (e.g. VS Code "
        "workbench.localHistory.enabled, emacs backups and auto-save, nano historylog); vi, "
        "vim and nvim are started with all of these off"
    )


def test_a_launcher_that_resolves_to_a_known_gui_editor_is_told_to_wait() -> None:
    command = editor_command(["my-editor"], resolved="/usr/share/code/code")
    assert command.argv == ("my-editor", "--wait")
