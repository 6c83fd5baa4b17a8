"""Whole age v1 files: header parsing and writing, STREAM payload, ASCII armor."""

from __future__ import annotations

import base64
import hmac
import os
import re
from collections.abc import Sequence
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kamalpy.secrets.age import (
    ARMOR_BEGIN,
    ARMOR_END,
    CHUNK_SIZE,
    TAG_SIZE,
    VERSION_LINE,
    AgeError,
    AgeIdentity,
    Header,
    NoMatchingIdentity,
    Recipient,
    Stanza,
    b64_raw,
    b64_raw_decode,
    header_mac,
    hkdf,
    unwrap_x25519,
    wrap_x25519,
)

_VCHARS: Final = re.compile(r"[\x21-\x7e]+")


def encrypt(plaintext: bytes, recipients: Sequence[Recipient]) -> bytes:
    """A binary age file of `plaintext` readable by each recipient."""
    if not recipients:
        raise AgeError("at least one recipient is needed")
    file_key = os.urandom(16)
    header = VERSION_LINE + b"\n"
    for recipient in recipients:
        header += wrap_x25519(file_key, recipient).encode()
    header += b"---"
    mac = header_mac(file_key, header)
    nonce = os.urandom(16)
    return header + b" " + b64_raw(mac).encode() + b"\n" + nonce + _seal(file_key, nonce, plaintext)


def decrypt(data: bytes, identities: Sequence[AgeIdentity]) -> bytes:
    """The plaintext of a binary age file; NoMatchingIdentity when no identity fits."""
    header = parse_header(data)
    file_key = _unwrap(header, identities)
    if not hmac.compare_digest(header.mac, header_mac(file_key, header.mac_input)):
        raise AgeError("header MAC mismatch (the recipient list was edited)")
    if len(header.payload) < 16:
        raise AgeError("payload is truncated")
    return _open(file_key, header.payload[:16], header.payload[16:])


def _unwrap(header: Header, identities: Sequence[AgeIdentity]) -> bytes:
    for stanza in header.stanzas:
        if stanza.args[0] != "X25519":
            continue  # other recipient types are ignored, as the spec requires
        for identity in identities:
            file_key = unwrap_x25519(stanza, identity)
            if file_key is not None:
                if len(file_key) != 16:
                    raise AgeError("wrapped file key has the wrong length")
                return file_key
    raise NoMatchingIdentity("no identity matches any recipient stanza")


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _seal(file_key: bytes, nonce: bytes, plaintext: bytes) -> bytes:
    aead = ChaCha20Poly1305(hkdf(file_key, nonce, b"payload"))
    starts = list(range(0, len(plaintext), CHUNK_SIZE)) or [0]
    out = []
    for counter, start in enumerate(starts):
        last = counter == len(starts) - 1
        chunk = plaintext[start : start + CHUNK_SIZE]
        out.append(aead.encrypt(_chunk_nonce(counter, last), chunk, None))
    return b"".join(out)


def _open(file_key: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    aead = ChaCha20Poly1305(hkdf(file_key, nonce, b"payload"))
    size = CHUNK_SIZE + TAG_SIZE
    starts = list(range(0, len(ciphertext), size)) or [0]
    out = []
    for counter, start in enumerate(starts):
        last = counter == len(starts) - 1
        chunk = ciphertext[start : start + size]
        if last and len(chunk) == TAG_SIZE and counter > 0:
            raise AgeError("payload ends with an empty chunk")
        try:
            out.append(aead.decrypt(_chunk_nonce(counter, last), chunk, None))
        except InvalidTag:
            raise AgeError(f"payload chunk {counter} does not decrypt (edited)") from None
    return b"".join(out)


def parse_header(data: bytes) -> Header:
    """Split an age file into its stanzas, MAC and payload; strict about the v1 grammar."""
    lines = _HeaderLines(data)
    first = lines.next_line()
    if first != VERSION_LINE:
        raise AgeError("not an age v1 file (first line is not age-encryption.org/v1)")
    stanzas: list[Stanza] = []
    while True:
        line = lines.next_line()
        if line.startswith(b"-> "):
            stanzas.append(_parse_stanza(line, lines))
        elif line.startswith(b"--- "):
            break
        else:
            raise AgeError("malformed header line")
    if not stanzas:
        raise AgeError("header has no recipient stanza")
    mac = b64_raw_decode(line[4:])
    if len(mac) != 32:
        raise AgeError("header MAC has the wrong length")
    mac_end = lines.position - len(line) - 1 + 3
    return Header(tuple(stanzas), mac, data[:mac_end], data[lines.position :])


def _parse_stanza(arg_line: bytes, lines: _HeaderLines) -> Stanza:
    args = tuple(arg_line[3:].decode("ascii", "replace").split(" "))
    if not all(_VCHARS.fullmatch(arg) for arg in args):
        raise AgeError("stanza argument is empty or has invalid characters")
    body = b""
    while True:
        line = lines.next_line()
        if len(line) > 64:
            raise AgeError("stanza body line longer than 64 columns")
        body += line
        if len(line) < 64:
            return Stanza(args, b64_raw_decode(body))


class _HeaderLines:
    """Reads LF-terminated header lines while remembering where the payload starts."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def next_line(self) -> bytes:
        end = self.data.find(b"\n", self.position)
        if end < 0:
            raise AgeError("header is truncated")
        line = self.data[self.position : end]
        self.position = end + 1
        return line


def armor(data: bytes) -> str:
    """PEM-style armor (RFC 7468 strict), as `age -a` writes it."""
    text = base64.b64encode(data).decode("ascii")
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"{ARMOR_BEGIN}\n{body}\n{ARMOR_END}\n"


def dearmor(text: str) -> bytes:
    """Decode armor strictly: only whitespace around the block, 64-column canonical base64."""
    lines = [line.rstrip("\r") for line in text.strip().split("\n")]
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise AgeError("not an armored age file (BEGIN/END lines missing)")
    body = lines[1:-1]
    if any(len(line) != 64 for line in body[:-1]) or not 0 < len(body[-1]) <= 64:
        raise AgeError("armor lines must be 64 columns")
    joined = "".join(body)
    try:
        data = base64.b64decode(joined, validate=True)
    except ValueError:
        raise AgeError("armor is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != joined:
        raise AgeError("armor is not canonical base64")
    return data
