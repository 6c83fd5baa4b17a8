"""age v1 X25519 keys and stanzas (c2sp.org/age), pure bytes in and out, `cryptography` only."""

from __future__ import annotations

import base64
import hmac
import os
import re
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kamalpy.secrets import bech32
from kamalpy.sensitive import REDACTED

VERSION_LINE: Final = b"age-encryption.org/v1"
X25519_INFO: Final = b"age-encryption.org/v1/X25519"
CHUNK_SIZE: Final = 64 * 1024
TAG_SIZE: Final = 16
ARMOR_BEGIN: Final = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END: Final = "-----END AGE ENCRYPTED FILE-----"
_ZERO_NONCE: Final = bytes(12)
_B64_LINE: Final = re.compile(rb"[A-Za-z0-9+/]*")


class AgeError(ValueError):
    """An age file, key or armor block is malformed or cannot be decrypted."""


class NoMatchingIdentity(AgeError):
    """No identity given can unwrap any stanza of the file (the 'wrong key' case)."""


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 with a 32-byte output, as every age derivation uses."""
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=info).derive(ikm)


def b64_raw(data: bytes) -> str:
    """Unpadded standard base64, as age writes it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64_raw_decode(text: str | bytes) -> bytes:
    """Decode unpadded base64, rejecting padding and non-canonical encodings (spec rule)."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    if not _B64_LINE.fullmatch(raw) or len(raw) % 4 == 1:
        raise AgeError("invalid base64")
    data = base64.b64decode(raw + b"=" * (-len(raw) % 4))
    if b64_raw(data).encode("ascii") != raw:
        raise AgeError("non-canonical base64")
    return data


@dataclass(frozen=True)
class Recipient:
    """An X25519 recipient, written `age1…`."""

    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> Recipient:
        """Parse an `age1…` string."""
        try:
            hrp, data = bech32.decode(text.strip())
        except bech32.Bech32Error as error:
            raise AgeError(f"not an age recipient ({error})") from None
        if hrp != "age" or len(data) != 32 or text.strip() != text.strip().lower():
            raise AgeError("not an age X25519 recipient (expected age1… with 32 bytes)")
        return cls(data)

    def __str__(self) -> str:
        return bech32.encode("age", self.public_key)


@dataclass(frozen=True)
class AgeIdentity:
    """An X25519 identity, written `AGE-SECRET-KEY-1…`; its repr never shows the key."""

    secret: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> AgeIdentity:
        """A fresh random identity."""
        return cls(os.urandom(32))

    @classmethod
    def parse(cls, text: str) -> AgeIdentity:
        """Parse an `AGE-SECRET-KEY-1…` string."""
        stripped = text.strip()
        try:
            hrp, data = bech32.decode(stripped)
        except bech32.Bech32Error as error:
            raise AgeError(f"not an age identity ({error})") from None
        if hrp != "age-secret-key-" or len(data) != 32 or stripped != stripped.upper():
            raise AgeError("not an age X25519 identity (expected AGE-SECRET-KEY-1…)")
        return cls(data)

    def encode(self) -> str:
        """The `AGE-SECRET-KEY-1…` text (uppercase)."""
        return bech32.encode("age-secret-key-", self.secret).upper()

    def recipient(self) -> Recipient:
        """The public `age1…` recipient of this identity."""
        public = X25519PrivateKey.from_private_bytes(self.secret).public_key()
        return Recipient(public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def __repr__(self) -> str:
        return f"AgeIdentity({REDACTED}, recipient={self.recipient()})"


@dataclass(frozen=True)
class Stanza:
    """One `-> type args…` recipient stanza with its decoded body."""

    args: tuple[str, ...]
    body: bytes

    def encode(self) -> bytes:
        """The stanza's header lines: argument line, then the body wrapped at 64 columns."""
        text = b64_raw(self.body)
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        if len(text) % 64 == 0:
            lines.append("")  # the body must end with a line shorter than 64 columns
        return ("-> " + " ".join(self.args) + "\n" + "\n".join(lines) + "\n").encode("ascii")


@dataclass(frozen=True)
class Header:
    """A parsed age header: stanzas, the MAC, the bytes it covers, and the payload after it."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes
    payload: bytes


def wrap_x25519(file_key: bytes, recipient: Recipient) -> Stanza:
    """Wrap the file key for one recipient with a fresh ephemeral key."""
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public_key))
    wrap_key = hkdf(shared, share + recipient.public_key, X25519_INFO)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return Stanza(("X25519", b64_raw(share)), body)


def unwrap_x25519(stanza: Stanza, identity: AgeIdentity) -> bytes | None:
    """The file key if this X25519 stanza is addressed to `identity`, else None."""
    if len(stanza.args) != 2:
        raise AgeError("X25519 stanza must have exactly two arguments")
    share = b64_raw_decode(stanza.args[1])
    if len(share) != 32 or len(stanza.body) != 32:
        raise AgeError("X25519 stanza has a wrong share or body length")
    private = X25519PrivateKey.from_private_bytes(identity.secret)
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:  # an all-zero shared secret: the spec says abort
        raise AgeError("X25519 stanza has a low-order share") from None
    public = identity.recipient().public_key
    wrap_key = hkdf(shared, share + public, X25519_INFO)
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
    except InvalidTag:  # this stanza is for someone else
        return None


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA-256 over the header up to and including `---`."""
    return hmac.new(hkdf(file_key, b"", b"header"), mac_input, sha256).digest()
