"""`secrets edit`: plaintext only in a private tmpfs directory, removed whatever happens."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kamalpy.errors import SecretsError
from kamalpy.secrets.api import check_access_unchanged, open_file, save
from kamalpy.secrets.crypto import FileIdentity
from kamalpy.secrets.format import SECRET_NAME
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import display, file_identity

LaunchEditor = Callable[[Path], int]
SHARED_MEMORY: Final = Path("/dev/shm")
_ERROR_MARK: Final = "# ERROR: "
_PLAIN_CHARS: Final = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\u00a0"}
_FOLDER_PREFIX: Final = "kamalpy-secrets-"
# kamalpy-secrets-<pid>-<random>: the pid says whose it is, so a later run can sweep it
_FOLDER: Final = re.compile(rf"{_FOLDER_PREFIX}(\d+)-[A-Za-z0-9_]+")
_PROC: Final = Path("/proc")


@dataclass(frozen=True)
class EditResult:
    """What an edit changed: names added, changed, removed (sorted), and the file."""

    path: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


def render_editable(identity: FileIdentity, values: Mapping[str, str]) -> str:
    """The text shown in the editor: a comment header, then one NAME=value line per secret."""
    header = (
        f"# kamalpy secrets {identity.scope}/{identity.destination}: one NAME=value per line.\n"
        "# A value with newlines, tabs, or leading/trailing spaces, or starting with a quote,\n"
        '# is a JSON string: NAME="two\\nlines". Lines starting with # are ignored.\n'
        "# Save and quit to encrypt; quit with an error (vim: :cq) to cancel.\n"
    )
    return header + "".join(f"{k}={_editable_value(values[k])}\n" for k in sorted(values))


def _editable_value(value: str) -> str:
    plain = (
        all(c in _PLAIN_CHARS or ord(c) > 0xA0 for c in value)
        and value == value.strip()
        and not value.startswith('"')
        and not any(c in value for c in "\u2028\u2029\ufeff")
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def parse_editable(text: str) -> dict[str, str]:
    """Parse the editor's text back; errors name the line."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        # an editor saving CRLF must not add "\r" to values; a real "\r" is always quoted
        line = line.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, raw = line.partition("=")
        if not sep or not SECRET_NAME.fullmatch(name):
            raise SecretsError(f"line {number}: expected NAME=value (NAME is letters, digits, _)")
        if name in values:
            raise SecretsError(f"line {number}: {name} is set twice")
        values[name] = _parse_value(raw, number) if raw.startswith('"') else raw
    return values


def _parse_value(raw: str, number: int) -> str:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise SecretsError(f"line {number}: bad quoted value ({error.msg})") from None
    if not isinstance(value, str):
        raise SecretsError(f"line {number}: a quoted value must be one JSON string")
    return value


def edit_parent(parent: Path | None = None) -> Path:
    """Where edit folders go: `parent`, else tmpfs (/dev/shm) when writable, else the temp dir."""
    if parent is not None:
        return parent
    if SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK):
        return SHARED_MEMORY
    return Path(tempfile.gettempdir())


def sweep_stale(parent: Path, proc: Path = _PROC) -> list[Path]:
    """Remove our edit folders whose process is gone (killed by SIGKILL, or the machine crashed)."""
    if not (proc / "self").exists():
        return []  # no way to tell a live process from a dead one: leave everything
    swept = []
    for folder in parent.glob(f"{_FOLDER_PREFIX}*"):
        match = _FOLDER.fullmatch(folder.name)
        try:
            mine = folder.is_dir() and folder.lstat().st_uid == os.getuid()
        except OSError:
            continue
        if match and mine and not (proc / match.group(1)).exists():
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder)
    return swept


@contextmanager
def private_file(name: str, parent: Path | None = None) -> Iterator[Path]:
    """A 0600 file in a fresh 0700 directory (tmpfs when present), deleted on any exit."""
    prefix = f"{_FOLDER_PREFIX}{os.getpid()}-"
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=edit_parent(parent)))
    try:
        path = folder / name
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # editors leave swap files beside it too


def edit_secrets(
    root: Path,
    scope: str,
    destination: str | None,
    who: Identity,
    launch: LaunchEditor,
    parent: Path | None = None,
) -> EditResult:
    """Open the values in an editor and save what changed; a parse error reopens the editor."""
    identity = file_identity(scope, destination)
    unlocked = open_file(root, identity, who)
    check_access_unchanged(unlocked)  # before the editor, so no typing is lost to a refusal
    shown = display(root, unlocked.path)
    sweep_stale(edit_parent(parent))
    with private_file(f"{identity.scope}-{identity.destination}.env", parent) as path:
        path.write_text(render_editable(identity, unlocked.values), encoding="utf-8")
        new = _edit_until_valid(path, launch, shown)
    old = unlocked.values
    result = EditResult(
        shown,
        tuple(sorted(set(new) - set(old))),
        tuple(sorted(k for k in set(new) & set(old) if new[k] != old[k])),
        tuple(sorted(set(old) - set(new))),
    )
    if result.added or result.changed or result.removed:
        save(unlocked, new)
    return result


def _edit_until_valid(path: Path, launch: LaunchEditor, shown: str) -> dict[str, str]:
    rejected: str | None = None
    while True:
        status = launch(path)
        if status != 0:
            raise SecretsError(f"editor exited with status {status}; {shown} is unchanged")
        text = path.read_text(encoding="utf-8")
        if text == rejected:
            raise SecretsError(f"the parse error was not fixed; {shown} is unchanged")
        try:
            return parse_editable(text)
        except SecretsError as error:
            body = "".join(
                line for line in text.splitlines(True) if not line.startswith(_ERROR_MARK)
            )
            rejected = f"{_ERROR_MARK}{error.message} (fix it, or quit with an error)\n{body}"
            path.write_text(rejected, encoding="utf-8")
