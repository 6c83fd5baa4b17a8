"""Value encryption and the whole-file MAC of the secrets format (pure bytes in and out)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kamalpy.secrets.age import hkdf

FORMAT_VERSION: Final = "1"
DATA_KEY_SIZE: Final = 32
SALT_SIZE: Final = 24
_VALUE_INFO: Final = b"kamalpy-secrets v1 value key"
_MAC_INFO: Final = b"kamalpy-secrets v1 file mac"
_ZERO_NONCE: Final = bytes(12)


@dataclass(frozen=True)
class FileIdentity:
    """Which file this is: its scope (a service or `common`) and destination (`default` if none)."""

    scope: str
    destination: str


def length_prefixed(fields: Iterable[bytes | str]) -> bytes:
    """Concatenate fields, each preceded by its 8-byte big-endian length, (unambiguous)."""
    out = bytearray()
    for item in fields:
        raw = item.encode("utf-8") if isinstance(item, str) else item
        out += len(raw).to_bytes(8, "big") + raw
    return bytes(out)


def associated_data(identity: FileIdentity, name: str) -> bytes:
    """What a value's AEAD binds it to: format version, scope, destination and name."""
    return length_prefixed((FORMAT_VERSION, identity.scope, identity.destination, name))


def new_data_key() -> bytes:
    """A fresh random data key for one file (made again on every rotation)."""
    return os.urandom(DATA_KEY_SIZE)


def seal_value(data_key: bytes, identity: FileIdentity, name: str, value: str) -> bytes:
    """Encrypt one value: salt || ChaCha20-Poly1305 ciphertext under a key used exactly once.

    Each value gets its own key, HKDF(data key, salt = 24 random bytes), so the fixed zero nonce
    is never used twice with one key unless two 192-bit random salts collide (as age derives its
    payload key). No counter is kept, because two git branches could both advance a counter.
    """
    salt = os.urandom(SALT_SIZE)
    key = hkdf(data_key, salt, _VALUE_INFO)
    sealed = ChaCha20Poly1305(key).encrypt(
        _ZERO_NONCE, value.encode("utf-8"), associated_data(identity, name)
    )
    return salt + sealed


def open_bytes(data_key: bytes, identity: FileIdentity, name: str, sealed: bytes) -> bytes | None:
    """The plaintext, or None when the ciphertext was edited or belongs to another name or file."""
    if len(sealed) < SALT_SIZE + 16:
        return None
    key = hkdf(data_key, sealed[:SALT_SIZE], _VALUE_INFO)
    try:
        return ChaCha20Poly1305(key).decrypt(
            _ZERO_NONCE, sealed[SALT_SIZE:], associated_data(identity, name)
        )
    except InvalidTag:
        return None


def file_mac(
    data_key: bytes,
    identity: FileIdentity,
    recipients: Iterable[tuple[str, str]],
    key_block: str,
    values: Iterable[tuple[str, bytes]],
) -> bytes:
    """HMAC-SHA-256 over version, file identity, recipients, key block and every (name, value)."""
    recipient_list = list(recipients)
    value_list = list(values)
    fields: list[bytes | str] = [FORMAT_VERSION, identity.scope, identity.destination]
    fields.append(str(len(recipient_list)))
    for name, public in recipient_list:
        fields += [name, public]
    fields.append(key_block)
    fields.append(str(len(value_list)))
    for name, sealed in value_list:
        fields += [name, sealed]
    mac_key = hkdf(data_key, b"", _MAC_INFO)
    return hmac.new(mac_key, length_prefixed(fields), sha256).digest()
