"""Secret values for a command: every referenced name resolved once, before any host is touched.

A name is taken from the encrypted store (`secrets/<service>/<dest>.secrets`, then
`secrets/common/<dest>.secrets`), else from this process's environment (Kamal's habit of
`KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD`). Anything else stops the command here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kamalpy.config.model import Configuration
from kamalpy.deploy.secret_refs import (
    SecretUse,
    accessory_uses,
    all_uses,
    env_uses,
    key_data_uses,
    names_of,
    where_used,
)
from kamalpy.errors import SecretsError
from kamalpy.executor.agent import NamedKey
from kamalpy.secrets import find_root, list_names, load_identity, resolve_secrets, search_path
from kamalpy.secrets.store import display
from kamalpy.sensitive import Sensitive

# The key that opens the store is never itself handed out as a secret from the environment.
_NEVER_FROM_ENVIRON = frozenset({"KAMALPY_IDENTITY", "KAMALPY_IDENTITY_FILE"})
# What each command writes to hosts or needs locally; the others only read state.
_NEEDS = {
    "deploy": all_uses,
    "redeploy": all_uses,
    "rollback": env_uses,
    "accessory": accessory_uses,
}


def _stored_names(root: Path, files: list[Path], destination: str | None) -> set[str]:
    names: set[str] = set()
    for path in files:
        if path.exists():  # listing names needs no identity
            names.update(list_names(root, path.parent.name, destination))
    return names


def _missing_error(
    root: Path, files: list[Path], uses: tuple[SecretUse, ...], missing: list[str]
) -> SecretsError:
    searched = ", ".join(display(root, p) + ("" if p.exists() else " (absent)") for p in files)
    lines = [f"secret {name} (used by {where_used(uses, name)}) has no value" for name in missing]
    lines.append(f"searched: {searched}, then the environment")
    return SecretsError(
        "\n".join(lines),
        hint="add it with `kamalpy secrets set SCOPE NAME [-d DEST]`, or remove the reference",
    )


def resolve_uses(
    config: Configuration, uses: tuple[SecretUse, ...], environ: Mapping[str, str]
) -> dict[str, Sensitive]:
    """Values for every used name: the store first, else the environment; SecretsError if none."""
    names = names_of(uses)
    if not names:
        return {}
    offered = {k: v for k, v in environ.items() if k not in _NEVER_FROM_ENVIRON}
    root = find_root(Path(config.root).resolve())
    files = search_path(root, config.service, config.destination)
    stored = _stored_names(root, files, config.destination)
    missing = [name for name in names if name not in stored and name not in offered]
    if missing:
        raise _missing_error(root, files, uses, missing)
    values = {name: Sensitive(offered[name]) for name in names if name not in stored}
    from_store = [name for name in names if name in stored]
    if from_store:
        identity = load_identity(environ, Path(environ.get("HOME") or Path.home()))
        values.update(resolve_secrets(root, config.service, config.destination, from_store,
                                      identity))  # fmt: skip
    return values


def ssh_key_data(config: Configuration, environ: Mapping[str, str]) -> tuple[NamedKey, ...]:
    """The private keys of ssh.key_data by secret name, resolved like every other secret."""
    values = resolve_uses(config, tuple(key_data_uses(config)), environ)
    return tuple((name, values[name]) for name in config.ssh.key_data)


def secrets_for_command(
    config: Configuration, command: str, environ: Mapping[str, str]
) -> dict[str, Sensitive]:
    """The values a command needs (none for read-only ones), all resolved before it starts."""
    uses = _NEEDS[command](config) if command in _NEEDS else ()
    # Every command reaching a host needs the ssh keys given as data.
    return resolve_uses(config, (*uses, *key_data_uses(config)), environ)
