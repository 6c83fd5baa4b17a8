"""Where secrets live: `secrets/<scope>/<destination>.secrets` and `secrets/recipients.yml`."""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from kamalpy.errors import SecretsError
from kamalpy.secrets.age import AgeError, Recipient
from kamalpy.secrets.crypto import FileIdentity
from kamalpy.secrets.format import LABEL, SecretsFile, fail, parse, render

SECRETS_DIR: Final = "secrets"
EXTENSION: Final = ".secrets"
COMMON_SCOPE: Final = "common"
NO_DESTINATION: Final = "default"
RECIPIENTS_FILE: Final = "recipients.yml"


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `secrets/` or `.git` (else `start`)."""
    for folder in (start, *start.parents):
        if (folder / SECRETS_DIR).is_dir() or (folder / ".git").exists():
            return folder
    return start


def file_identity(scope: str, destination: str | None) -> FileIdentity:
    """Validate a scope and destination and name the file they select."""
    dest = destination or NO_DESTINATION
    for kind, label in (("scope", scope), ("destination", dest)):
        if not LABEL.fullmatch(label):
            raise SecretsError(f"invalid {kind} {label!r}: use letters, digits, '.', '_', '-'")
    return FileIdentity(scope, dest)


def secrets_path(root: Path, identity: FileIdentity) -> Path:
    """The file for one scope and destination."""
    return root / SECRETS_DIR / identity.scope / f"{identity.destination}{EXTENSION}"


def search_path(root: Path, service: str, destination: str | None) -> list[Path]:
    """Files a service's secrets are looked up in, first match wins: the service, then common."""
    return [
        secrets_path(root, file_identity(service, destination)),
        secrets_path(root, file_identity(COMMON_SCOPE, destination)),
    ]


def all_files(root: Path) -> Iterator[tuple[Path, FileIdentity]]:
    """Every secrets file under `secrets/`, sorted, with the identity its path gives it."""
    base = root / SECRETS_DIR
    for path in sorted(base.glob(f"*/*{EXTENSION}")):
        yield path, FileIdentity(path.parent.name, path.name.removesuffix(EXTENSION))


def display(root: Path, path: Path) -> str:
    """A path relative to the repository root, for messages."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_secrets(root: Path, path: Path, expected: FileIdentity) -> SecretsFile:
    """Read and parse one file and check that its identity matches where it lives."""
    shown = display(root, path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretsError(f"{shown}: no such secrets file") from None
    except UnicodeDecodeError:
        raise fail(shown, None, "file is not UTF-8 text") from None
    secrets = parse(text, shown)
    if secrets.identity != expected:
        raise fail(
            shown,
            2,
            f"file identity says scope {secrets.identity.scope!r} destination "
            f"{secrets.identity.destination!r}, but its path means scope {expected.scope!r} "
            f"destination {expected.destination!r} (edited, or moved from another file)",
        )
    return secrets


def write_secrets(path: Path, secrets: SecretsFile) -> None:
    """Replace the file atomically, so a crash never leaves half a file."""
    write_atomically(path, render(secrets))


def write_atomically(path: Path, text: str) -> None:
    """Temp file beside it, fsync, rename, fsync the folder: the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@dataclass(frozen=True)
class Member:
    """A person or CI identity from recipients.yml: name, public key, what it may read."""

    name: str
    key: str
    access: tuple[str, ...]

    def can_read(self, identity: FileIdentity) -> bool:
        """True when one access pattern (SCOPE or SCOPE/DESTINATION, `*` wildcard) matches."""
        target = f"{identity.scope}/{identity.destination}"
        for pattern in self.access:
            full = pattern if "/" in pattern else f"{pattern}/*"
            if fnmatch.fnmatchcase(target, full):
                return True
        return False


@dataclass(frozen=True)
class Policy:
    """The recipients file: every member, in file order."""

    members: tuple[Member, ...]

    def recipients_for(self, identity: FileIdentity) -> list[tuple[str, str]]:
        """(name, age1…) of everyone who may read this file, sorted by name."""
        return sorted((m.name, m.key) for m in self.members if m.can_read(identity))


def recipients_path(root: Path) -> Path:
    """Where the recipients policy lives."""
    return root / SECRETS_DIR / RECIPIENTS_FILE


def load_policy(root: Path) -> Policy:
    """Read recipients.yml; errors name the file and the key that is wrong."""
    path = recipients_path(root)
    shown = display(root, path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SecretsError(
            f"{shown} does not exist", hint="run `kamalpy secrets init` first"
        ) from None
    except yaml.YAMLError as error:
        raise SecretsError(f"{shown}: not valid YAML: {error}") from None
    entries = data.get("recipients") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise SecretsError(f"{shown}: recipients: should be a mapping of name to key and access")
    return Policy(tuple(_member(shown, name, entry) for name, entry in entries.items()))


def _member(shown: str, name: object, entry: Any) -> Member:
    where = f"{shown}: recipients/{name}"
    if not isinstance(name, str) or not LABEL.fullmatch(name):
        raise SecretsError(f"{where}: name should be letters, digits, '.', '_', '@', '-'")
    if not isinstance(entry, dict):
        raise SecretsError(f"{where}: should be a mapping with key and access")
    key, access = entry.get("key"), entry.get("access", ["*"])
    key = clean_key(key if isinstance(key, str) else "", f"{where}/key")
    if isinstance(access, str):
        access = [access]
    if not isinstance(access, list) or not all(isinstance(a, str) and a for a in access):
        raise SecretsError(f"{where}/access: should be a list of SCOPE or SCOPE/DESTINATION")
    return Member(name, key, tuple(access))


def clean_key(key: str, where: str) -> str:
    """An age1… public key without the whitespace around it (a YAML `|` adds a newline)."""
    stripped = key.strip()
    if any(char.isspace() for char in stripped):
        raise SecretsError(f"{where}: should be one age1… public key, with no spaces inside")
    try:
        Recipient.parse(stripped)
    except AgeError as error:
        raise SecretsError(f"{where}: should be an age1… public key ({error})") from None
    return stripped


def save_policy(root: Path, policy: Policy) -> None:
    """Write recipients.yml back (comment header, one mapping per member)."""
    body = {
        "recipients": {m.name: {"key": m.key, "access": list(m.access)} for m in policy.members}
    }
    text = (
        "# Who can decrypt which secrets files (kamalpy secrets recipients add|remove|list).\n"
        "# access: SCOPE or SCOPE/DESTINATION patterns, `*` matches anything.\n"
        + yaml.safe_dump(body, sort_keys=False, default_flow_style=None)
    )
    write_atomically(recipients_path(root), text)
