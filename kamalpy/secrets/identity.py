"""Whose key decrypts: KAMALPY_IDENTITY, KAMALPY_IDENTITY_FILE, else the identity.txt at home."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kamalpy.errors import SecretsError
from kamalpy.secrets.age import AgeError, AgeIdentity, Recipient

IDENTITY_ENV: Final = "KAMALPY_IDENTITY"
IDENTITY_FILE_ENV: Final = "KAMALPY_IDENTITY_FILE"
DEFAULT_IDENTITY_PATH: Final = Path(".config/kamalpy/identity.txt")


@dataclass(frozen=True)
class Identity:
    """One or more age identities and where they came from (for messages; never the keys)."""

    keys: tuple[AgeIdentity, ...]
    source: str

    def recipients(self) -> list[Recipient]:
        """The public keys matching these identities."""
        return [key.recipient() for key in self.keys]


def parse_identities(text: str, source: str) -> Identity:
    """Parse age identity text: AGE-SECRET-KEY-1… lines, `#` comments and blank lines."""
    keys: list[AgeIdentity] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(AgeIdentity.parse(line))
        except AgeError:
            # never echo the line: it may be a key with a typo
            raise SecretsError(
                f"{source}:{number}: not an age identity (expected AGE-SECRET-KEY-1…)"
            ) from None
    if not keys:
        raise SecretsError(f"{source}: holds no AGE-SECRET-KEY-1… identity")
    return Identity(tuple(keys), source)


def identity_path(environ: Mapping[str, str], home: Path) -> Path:
    """The identity file to use when KAMALPY_IDENTITY is not set."""
    explicit = environ.get(IDENTITY_FILE_ENV)
    return Path(explicit) if explicit else home / DEFAULT_IDENTITY_PATH


def load_identity(environ: Mapping[str, str], home: Path) -> Identity:
    """The identity from the environment or the identity file (SecretsError says how to get one)."""
    inline = environ.get(IDENTITY_ENV)
    if inline:
        return parse_identities(inline, f"${IDENTITY_ENV}")
    path = identity_path(environ, home)
    try:
        _refuse_open_permissions(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretsError(
            f"no identity: {IDENTITY_ENV} is not set and {path} does not exist",
            hint="create one with `kamalpy secrets keygen`, or set KAMALPY_IDENTITY in CI",
        ) from None
    except OSError as error:
        raise SecretsError(f"{path}: cannot read identity: {error.strerror}") from None
    return parse_identities(text, str(path))


def _refuse_open_permissions(path: Path) -> None:
    """Like ssh with a private key: a key others may read is refused, not used."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretsError(
            f"{path}: permissions {mode:04o} are too open: this private key must be readable "
            "by you alone",
            hint=f"chmod 600 {path}",
        )


def write_new_identity(path: Path, created_at: str) -> AgeIdentity:
    """Create an identity file (mode 0600, parents 0700); refuses to overwrite an existing one."""
    identity = AgeIdentity.generate()
    text = f"# created: {created_at}\n# public key: {identity.recipient()}\n{identity.encode()}\n"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SecretsError(
            f"{path} already exists; kamalpy never overwrites an identity",
            hint="move it away first if you really want a new key",
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return identity
