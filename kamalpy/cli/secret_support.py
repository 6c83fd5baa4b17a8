"""Secret values for a command: every referenced name resolved once, before any host is touched.

A name is taken from the encrypted store (`secrets/<service>/<dest>.secrets`, then
`secrets/common/<dest>.secrets`), else from this process's environment (Kamal's habit of
`KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD`). Anything else stops the command here.
Every store file of the search path is opened and MAC-checked before any name is looked up,
so a line dropped from one cannot make a name fall through to common or the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from kamalpy.config.model import Configuration
from kamalpy.deploy.secret_refs import (
    SecretUse,
    all_uses,
    env_uses,
    key_data_uses,
    names_of,
    where_used,
)
from kamalpy.errors import SecretsError
from kamalpy.executor.agent import NamedKey
from kamalpy.secrets import find_root, load_identity, search_path
from kamalpy.secrets.api import verified_values
from kamalpy.secrets.store import display
from kamalpy.sensitive import Sensitive

# The key that opens the store is never itself handed out as a secret from the environment.
_NEVER_FROM_ENVIRON = frozenset({"KAMALPY_IDENTITY", "KAMALPY_IDENTITY_FILE"})
# What each command writes to hosts or needs locally; the others only read state.
_NEEDS = {"deploy": all_uses, "redeploy": all_uses, "rollback": env_uses}
Warn = Callable[[str], None]


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
    config: Configuration,
    uses: tuple[SecretUse, ...],
    environ: Mapping[str, str],
    warn: Warn | None = None,
) -> dict[str, Sensitive]:
    """Values for every used name: the store first, else the environment; SecretsError if none.

    `warn` hears of a store file that recipients.yml would give to more people than it does.
    """
    names = names_of(uses)
    if not names:
        return {}
    offered = {k: v for k, v in environ.items() if k not in _NEVER_FROM_ENVIRON}
    root = find_root(Path(config.root).resolve())
    files = search_path(root, config.service, config.destination)
    stored: dict[str, tuple[Path, str]] = {}
    if any(path.exists() for path in files):  # verified, whichever names come from where
        identity = load_identity(environ, Path(environ.get("HOME") or Path.home()))
        stored = verified_values(root, config.service, config.destination, identity, warn)
    missing = [name for name in names if name not in stored and name not in offered]
    if missing:
        raise _missing_error(root, files, uses, missing)
    return {name: Sensitive(stored[name][1] if name in stored else offered[name]) for name in names}


def ssh_key_data(
    config: Configuration, environ: Mapping[str, str], warn: Warn | None = None
) -> tuple[NamedKey, ...]:
    """The private keys of ssh.key_data by secret name, resolved like every other secret."""
    values = resolve_uses(config, tuple(key_data_uses(config)), environ, warn)
    return tuple((name, values[name]) for name in config.ssh.key_data)


def secrets_for_command(
    config: Configuration, command: str, environ: Mapping[str, str], warn: Warn | None = None
) -> dict[str, Sensitive]:
    """The values a command needs (none for read-only ones), all resolved before it starts."""
    uses = _NEEDS[command](config) if command in _NEEDS else ()
    # Every command reaching a host needs the ssh keys given as data.
    return resolve_uses(config, (*uses, *key_data_uses(config)), environ, warn)
