"""How `secrets edit` starts the editor, so the plaintext is not kept in its history or swap.

vim writes deleted and yanked lines to ~/.viminfo (nvim to its shada), and both keep swap,
undo and backup files: the vim family is started with all of these off. Editors kamalpy does
not know get one warning saying what to check. GUI editors that return at once are given their
wait flag, since the file is removed as soon as the editor returns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final

_VIM: Final = re.compile(r"(?:[gmr]?vim?|view|vimdiff|vim\.[a-z]+)(?:\.exe)?")
_NVIM: Final = re.compile(r"nvim(?:\.exe|\.appimage)?")
_GUI_VIM: Final = frozenset({"gvim", "mvim"})
# `silent!` per option: a small vim (vim.tiny) lacks some of them and must still start quietly
_VIM_OFF: Final = ("viminfo=", "viminfofile=NONE", "noundofile", "nobackup", "nowritebackup")
_NVIM_OFF: Final = ("shada=", "shadafile=NONE", "noundofile", "nobackup", "nowritebackup")
# editors that open a window and return at once unless told to wait
_WAIT_FLAGS: Final = {
    "code": ("--wait", "-w"),
    "code-insiders": ("--wait", "-w"),
    "codium": ("--wait", "-w"),
    "cursor": ("--wait", "-w"),
    "subl": ("--wait", "-w"),
    "atom": ("--wait", "-w"),
    "zed": ("--wait",),
    "mate": ("--wait", "-w"),
    "bbedit": ("--wait", "-w"),
    "gedit": ("--wait",),
    "kate": ("--block", "-b"),
}


@dataclass(frozen=True)
class EditorCommand:
    """The argv to run (the file is appended) and, for an unknown editor, what to check."""

    argv: tuple[str, ...]
    advice: str | None


def _vim_commands(options: Sequence[str]) -> str:
    return " | ".join(f"silent! set {option}" for option in options)


def editor_command(editor: Sequence[str], resolved: str | None = None) -> EditorCommand:
    """The editor's argv with history, swap, undo and backup off when kamalpy knows how.

    `resolved` is the program's real path, when known: a `vi` that is really nvi or busybox
    does not understand vim's options, so only what it really is counts for those.
    """
    given = PurePath(editor[0]).name
    name = PurePath(resolved).name if resolved else given
    args = tuple(editor)
    if _NVIM.fullmatch(name) or _VIM.fullmatch(name):
        off = _NVIM_OFF if _NVIM.fullmatch(name) else _VIM_OFF
        commands = _vim_commands(off)
        # --cmd before the vimrc, -c after it (a vimrc may turn undofile or swap back on)
        after = _vim_commands((*off, "noswapfile"))
        foreground = ("-f",) if name in _GUI_VIM and "-f" not in args else ()
        # ours first, so the user's own -c commands still run after (and may override) them
        ours = (*foreground, "-n", "-i", "NONE", "--cmd", commands, "-c", after)
        return EditorCommand((args[0], *ours, *args[1:]), None)
    # snap and other launchers resolve to another program: the name typed still says what it is
    flags = _WAIT_FLAGS.get(given) or _WAIT_FLAGS.get(name)
    if flags and not set(flags) & set(args):
        args = (*args, flags[0])
    return EditorCommand(args, _advice(given))


def _advice(name: str) -> str:
    return (
        f"kamalpy cannot switch off {name}'s own copies of what you edit: check that it keeps "
        "no history, swap, undo, backup or 'local history' files of this file (e.g. VS Code "
        "workbench.localHistory.enabled, emacs backups and auto-save, nano historylog); "
        "vi, vim and nvim are started with all of these off"
    )
