"""Operations on the store, shared by the CLI, nox sessions and the deploy layer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kamalpy.errors import SecretsError
from kamalpy.secrets.access import access_change, differs_error, removed_error
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

Warn = Callable[[str], None]


@dataclass
class Unlocked:
    """A decrypted file being changed: its old parsed form (None if new), data key and values."""

    root: Path
    identity: FileIdentity
    old: SecretsFile | None
    data_key: bytes = field(repr=False)
    values: dict[str, str] = field(repr=False)
    who: Identity | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        """Where the file lives."""
        return secrets_path(self.root, self.identity)


def open_file(root: Path, identity: FileIdentity, who: Identity) -> Unlocked:
    """Decrypt a file for reading or changing; a missing file opens empty."""
    path = secrets_path(root, identity)
    if not path.exists():
        return Unlocked(root, identity, None, new_data_key(), {}, who)
    secrets = read_secrets(root, path, identity)
    shown = display(root, path)
    data_key = unlock(secrets, who.keys, shown)
    values = open_values(secrets, data_key, shown)
    return Unlocked(root, identity, secrets, data_key, values, who)


def check_access_unchanged(unlocked: Unlocked) -> None:
    """Refuse (exit 2, saying who would gain or lose access) if the policy differs from the file."""
    if unlocked.old is None:
        return
    policy = load_policy(unlocked.root).recipients_for(unlocked.identity)
    shown = display(unlocked.root, unlocked.path)
    change = access_change(shown, unlocked.old.recipients, policy)
    if change is not None:
        raise differs_error(change)


def _refuse_own_key(unlocked: Unlocked, values: Mapping[str, str]) -> None:
    """The key that opens the store is never stored in it (e.g. `B=$KAMALPY_IDENTITY`)."""
    keys = [key.encode() for key in unlocked.who.keys] if unlocked.who else []
    for name, value in values.items():
        if any(key in value.upper() for key in keys):
            raise SecretsError(
                f"{name}: the value holds your kamalpy identity (the private key that opens "
                "this store); it is never stored as a secret",
                hint="give the service a key of its own",
            )


def save(
    unlocked: Unlocked,
    values: Mapping[str, str],
    *,
    rotate: bool = False,
    change_access: bool = False,
) -> SecretsFile:
    """Write new values, re-encrypting only changed ones.

    The recipients follow recipients.yml only with `change_access` (recipients add/remove/sync);
    otherwise a file whose recipients differ from it is refused. The data key is replaced (every
    value re-encrypted) on `rotate`, for a new file, and when someone lost access, since they
    may have kept the old data key.
    """
    if not change_access:
        check_access_unchanged(unlocked)
    _refuse_own_key(unlocked, values)
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


def verified_values(
    root: Path, service: str, destination: str | None, who: Identity, warn: Warn | None = None
) -> dict[str, tuple[Path, str]]:
    """Every name of the service's search path with its file and value, first file winning.

    Every existing file is opened (its MAC checked) before any name is taken, so a line dropped
    from the service's file is refused instead of falling through to common or the environment.
    A file still readable by someone the policy removed is refused; one the policy would give
    to more people is reported through `warn`.
    """
    files = [path for path in search_path(root, service, destination) if path.exists()]
    policy = load_policy(root) if files else None
    out: dict[str, tuple[Path, str]] = {}
    for path in files:
        identity = file_identity(path.parent.name, destination)
        unlocked = open_file(root, identity, who)
        assert unlocked.old is not None and policy is not None  # the file exists
        shown = display(root, path)
        change = access_change(shown, unlocked.old.recipients, policy.recipients_for(identity))
        if change is not None and change.lost:
            raise removed_error(change)
        if change is not None and warn is not None:
            names = ", ".join(name for name, _ in change.gained)
            warn(
                f"{shown}: secrets/recipients.yml would also let {names} read it, but the file "
                "does not (yet): review that change, then `kamalpy secrets recipients sync`"
            )
        for name, value in unlocked.values.items():
            out.setdefault(name, (path, value))
    return out


def resolve_secrets(
    root: Path,
    service: str,
    destination: str | None,
    names: Iterable[str],
    identity: Identity,
    *,
    warn: Warn | None = None,
) -> dict[str, Sensitive]:
    """Values for a deploy: each name from the service's file, else common's; all or an error."""
    wanted = sorted(set(names))
    files = search_path(root, service, destination)
    found = verified_values(root, service, destination, identity, warn)
    missing = [name for name in wanted if name not in found]
    if missing:
        searched = ", ".join(display(root, p) + ("" if p.exists() else " (absent)") for p in files)
        raise SecretsError(
            f"secret(s) {', '.join(missing)} for service {service!r} not found; "
            f"searched {searched}",
            hint=f"add it with `kamalpy secrets set {service} NAME"
            + (f" -d {destination}`" if destination else "`"),
        )
    return {name: Sensitive(found[name][1]) for name in wanted}
