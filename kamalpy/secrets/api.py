"""Operations on the store, shared by the CLI, nox sessions and the deploy layer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kamalpy.errors import SecretsError
from kamalpy.secrets.crypto import FileIdentity, new_data_key
from kamalpy.secrets.format import SecretsFile, open_values, seal, unlock, wrap_data_key
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import (
    display,
    file_identity,
    load_policy,
    read_secrets,
    search_path,
    secrets_path,
    write_secrets,
)
from kamalpy.sensitive import Sensitive


@dataclass
class Unlocked:
    """A decrypted file being changed: its old parsed form (None if new), data key and values."""

    root: Path
    identity: FileIdentity
    old: SecretsFile | None
    data_key: bytes = field(repr=False)
    values: dict[str, str] = field(repr=False)

    @property
    def path(self) -> Path:
        """Where the file lives."""
        return secrets_path(self.root, self.identity)


def open_file(root: Path, identity: FileIdentity, who: Identity) -> Unlocked:
    """Decrypt a file for reading or changing; a missing file opens empty."""
    path = secrets_path(root, identity)
    if not path.exists():
        return Unlocked(root, identity, None, new_data_key(), {})
    secrets = read_secrets(root, path, identity)
    shown = display(root, path)
    data_key = unlock(secrets, who.keys, shown)
    return Unlocked(root, identity, secrets, data_key, open_values(secrets, data_key, shown))


def save(unlocked: Unlocked, values: Mapping[str, str], *, rotate: bool = False) -> SecretsFile:
    """Write new values, re-encrypting only changed ones; follows recipients.yml.

    The data key is replaced (every value re-encrypted) on `rotate`, for a new file, and when
    someone lost access, since they may have kept the old data key.
    """
    recipients = load_policy(unlocked.root).recipients_for(unlocked.identity)
    old = unlocked.old
    if not recipients:
        raise SecretsError(
            f"nobody in secrets/recipients.yml may read {unlocked.identity.scope}/"
            f"{unlocked.identity.destination}",
            hint="add an access pattern for it with `kamalpy secrets recipients add`",
        )
    removed = old is not None and bool(set(old.recipients) - set(recipients))
    if old is None or rotate or removed:
        data_key = new_data_key()
        key_block = wrap_data_key(data_key, recipients)
        previous = None
    else:
        data_key = unlocked.data_key
        same = list(old.recipients) == recipients
        key_block = old.key_block if same else wrap_data_key(data_key, recipients)
        previous = {name: (unlocked.values[name], sealed) for name, sealed in old.values}
    secrets = seal(unlocked.identity, recipients, data_key, key_block, values, previous)
    write_secrets(unlocked.path, secrets)
    unlocked.old, unlocked.data_key, unlocked.values = secrets, data_key, dict(values)
    return secrets


def set_secrets(
    root: Path, scope: str, destination: str | None, updates: Mapping[str, str], who: Identity
) -> Path:
    """Add or change values in one file."""
    unlocked = open_file(root, file_identity(scope, destination), who)
    save(unlocked, {**unlocked.values, **updates})
    return unlocked.path


def unset_secrets(
    root: Path, scope: str, destination: str | None, names: Iterable[str], who: Identity
) -> Path:
    """Remove values from one file; naming a secret that is not there is an error."""
    unlocked = open_file(root, file_identity(scope, destination), who)
    names = list(names)
    missing = [name for name in names if name not in unlocked.values]
    if missing:
        shown = display(root, unlocked.path)
        raise SecretsError(f"{shown}: no secret named {', '.join(missing)}")
    save(unlocked, {k: v for k, v in unlocked.values.items() if k not in names})
    return unlocked.path


def rotate(root: Path, scope: str, destination: str | None, who: Identity) -> Path:
    """Replace the file's data key and re-encrypt every value."""
    identity = file_identity(scope, destination)
    unlocked = open_file(root, identity, who)
    if unlocked.old is None:
        raise SecretsError(f"{display(root, unlocked.path)}: no such secrets file")
    save(unlocked, unlocked.values, rotate=True)
    return unlocked.path


def get_secrets(
    root: Path, scope: str, destination: str | None, who: Identity
) -> dict[str, Sensitive]:
    """Every value of one file, wrapped so it cannot be printed by accident."""
    identity = file_identity(scope, destination)
    path = secrets_path(root, identity)
    if not path.exists():
        raise SecretsError(f"{display(root, path)}: no such secrets file")
    return {k: Sensitive(v) for k, v in open_file(root, identity, who).values.items()}


def list_names(root: Path, scope: str, destination: str | None) -> list[str]:
    """The names in one file (needs no identity)."""
    identity = file_identity(scope, destination)
    return read_secrets(root, secrets_path(root, identity), identity).names()


def resolve_secrets(
    root: Path, service: str, destination: str | None, names: Iterable[str], identity: Identity
) -> dict[str, Sensitive]:
    """Values for a deploy: each name from the service's file, else common's; all or an error."""
    wanted = sorted(set(names))
    files = search_path(root, service, destination)
    where: dict[str, Path] = {}
    for path in files:
        if path.exists():
            expected = file_identity(path.parent.name, destination)
            for name in read_secrets(root, path, expected).names():
                where.setdefault(name, path)
    missing = [name for name in wanted if name not in where]
    if missing:
        searched = ", ".join(display(root, p) + ("" if p.exists() else " (absent)") for p in files)
        raise SecretsError(
            f"secret(s) {', '.join(missing)} for service {service!r} not found; "
            f"searched {searched}",
            hint=f"add it with `kamalpy secrets set {service} NAME"
            + (f" -d {destination}`" if destination else "`"),
        )
    out: dict[str, Sensitive] = {}
    for path in dict.fromkeys(where[name] for name in wanted):
        values = open_file(root, file_identity(path.parent.name, destination), identity).values
        out.update({n: Sensitive(values[n]) for n in wanted if where[n] == path})
    return dict(sorted(out.items()))
