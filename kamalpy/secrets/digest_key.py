"""Keyed MACs of secret values, so digests can tell a changed secret without revealing it.

The key is derived (HKDF) from the data key of the service's first secrets file, so anyone
who can decrypt that file computes the same MACs on any machine, and someone who reads the
labels on a server (or a CI log) learns nothing they could test guesses against. Rotating a
file's data key changes the key, so the services using it are deployed once more.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kamalpy.secrets.api import open_file
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import file_identity, search_path
from kamalpy.sensitive import Sensitive

_INFO = b"kamalpy runtime digest v1"


def digest_key(root: Path, service: str, destination: str | None, who: Identity) -> bytes | None:
    """The MAC key for a service's secrets, or None when it has no secrets file."""
    for path in search_path(root, service, destination):
        if path.exists():
            unlocked = open_file(root, file_identity(path.parent.name, destination), who)
            kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
            return kdf.derive(unlocked.data_key)
    return None


def value_macs(key: bytes, values: Mapping[str, Sensitive]) -> dict[str, str]:
    """HMAC-SHA256 of each value, bound to its name."""
    return {
        name: hmac.new(
            key, name.encode() + b"\0" + value.reveal().encode(), hashlib.sha256
        ).hexdigest()
        for name, value in sorted(values.items())
    }
