"""The versioned text format of one secrets file: parse, render, unlock, seal (no file access)."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from kamalpy.errors import SecretsError
from kamalpy.secrets.age import (
    ARMOR_BEGIN,
    ARMOR_END,
    AgeError,
    AgeIdentity,
    NoMatchingIdentity,
    Recipient,
    b64_raw,
    b64_raw_decode,
)
from kamalpy.secrets.age_file import armor, dearmor, decrypt, encrypt, parse_header
from kamalpy.secrets.crypto import (
    DATA_KEY_SIZE,
    FORMAT_VERSION,
    FileIdentity,
    file_mac,
    open_bytes,
    seal_value,
)

VERSION_LINE: Final = f"kamalpy-secrets: v{FORMAT_VERSION}"
SECRET_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
LABEL: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}")
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]+")
_TAMPER_HINT: Final = (
    "secrets files are written only by kamalpy; restore it from git (`git checkout -- FILE`) "
    "and make the change with `kamalpy secrets edit|set|unset`"
)


@dataclass(frozen=True)
class SecretsFile:
    """One parsed (still encrypted) secrets file; `lines` maps each value name to its line."""

    identity: FileIdentity
    recipients: tuple[tuple[str, str], ...]
    key_block: str
    values: tuple[tuple[str, bytes], ...]
    mac: bytes
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    def names(self) -> list[str]:
        """Secret names in file order (sorted)."""
        return [name for name, _ in self.values]


def render(secrets: SecretsFile) -> str:
    """The file's text: header, recipients, armored key block, one line per value, MAC."""
    lines = [
        VERSION_LINE,
        f"scope: {secrets.identity.scope}",
        f"destination: {secrets.identity.destination}",
    ]
    lines += [f"recipient: {name} {public}" for name, public in secrets.recipients]
    lines += secrets.key_block.rstrip("\n").split("\n")
    lines += [f"{name}: {b64_raw(sealed)}" for name, sealed in secrets.values]
    lines.append(f"mac: {b64_raw(secrets.mac)}")
    return "\n".join(lines) + "\n"


def fail(path: str, line: int | None, what: str) -> SecretsError:
    """A tamper/format error naming the file, the line when known, and what failed."""
    where = f"{path}:{line}" if line else path
    return SecretsError(f"{where}: {what}", hint=_TAMPER_HINT)


def parse(text: str, path: str) -> SecretsFile:
    """Parse and check the structure (needs no identity); errors name the file and line."""
    if not text.endswith("\n"):
        raise fail(path, None, "file is truncated (it does not end with a newline)")
    cursor = _Cursor(text.split("\n")[:-1], path)
    if cursor.take() != VERSION_LINE:
        raise fail(path, 1, f"not a kamalpy secrets file or unknown version (want {VERSION_LINE})")
    identity = FileIdentity(cursor.field("scope"), cursor.field("destination"))
    recipients = _parse_recipients(cursor)
    key_block = _parse_key_block(cursor, len(recipients))
    values, lines = _parse_values(cursor)
    mac_text = cursor.field("mac", _BASE64)
    if cursor.index != len(cursor.lines):
        raise fail(path, cursor.index + 1, "unexpected line after the mac line")
    try:
        mac = b64_raw_decode(mac_text)
    except AgeError:
        mac = b""
    if len(mac) != 32:
        raise fail(path, cursor.index, "mac line is not 32 bytes of base64")
    return SecretsFile(identity, recipients, key_block, values, mac, lines)


@dataclass
class _Cursor:
    lines: list[str]
    path: str
    index: int = 0

    def peek(self) -> str | None:
        return self.lines[self.index] if self.index < len(self.lines) else None

    def take(self) -> str:
        line = self.peek()
        if line is None:
            raise fail(self.path, None, "file is truncated (it ends before the mac line)")
        self.index += 1
        return line

    def field(self, key: str, pattern: re.Pattern[str] = LABEL) -> str:
        line = self.take()
        prefix = f"{key}: "
        if not line.startswith(prefix) or not pattern.fullmatch(line[len(prefix) :]):
            if key == "mac" and SECRET_NAME.fullmatch(line.split(":")[0]):
                raise fail(self.path, None, "file is truncated (it ends before the mac line)")
            raise fail(self.path, self.index, f"expected `{key}: …` here")
        return line[len(prefix) :]


def _parse_recipients(cursor: _Cursor) -> tuple[tuple[str, str], ...]:
    recipients: list[tuple[str, str]] = []
    while (line := cursor.peek()) is not None and line.startswith("recipient: "):
        cursor.take()
        parts = line.removeprefix("recipient: ").split(" ")
        if len(parts) != 2 or not LABEL.fullmatch(parts[0]):
            raise fail(cursor.path, cursor.index, "expected `recipient: NAME age1…`")
        try:
            Recipient.parse(parts[1])
        except AgeError as error:
            raise fail(cursor.path, cursor.index, f"recipient {parts[0]}: {error}") from None
        recipients.append((parts[0], parts[1]))
    if not recipients:
        raise fail(cursor.path, cursor.index + 1, "the file lists no recipient")
    if len({name for name, _ in recipients}) != len(recipients):
        raise fail(cursor.path, cursor.index, "a recipient is listed twice")
    return tuple(recipients)


def _parse_key_block(cursor: _Cursor, recipient_count: int) -> str:
    start = cursor.index + 1
    if cursor.take() != ARMOR_BEGIN:
        raise fail(cursor.path, start, f"expected the key block ({ARMOR_BEGIN})")
    block = [ARMOR_BEGIN]
    while (line := cursor.take()) != ARMOR_END:
        block.append(line)
    block.append(ARMOR_END)
    text = "\n".join(block) + "\n"
    try:
        stanzas = parse_header(dearmor(text)).stanzas
    except AgeError as error:
        raise fail(cursor.path, start, f"key block is damaged: {error}") from None
    wrapped = sum(1 for stanza in stanzas if stanza.args[0] == "X25519")
    others = len(stanzas) - wrapped
    if wrapped != recipient_count or others:
        # count what was compared: X25519 wraps; any other kind of stanza is named apart
        extra = f" and holds {others} stanza(s) of another kind" if others else ""
        raise fail(
            cursor.path,
            start,
            f"the file lists {recipient_count} recipient(s) but its key block is wrapped for "
            f"{wrapped}{extra} (a recipient was added or removed by hand)",
        )
    return text


def _parse_values(cursor: _Cursor) -> tuple[tuple[tuple[str, bytes], ...], dict[str, int]]:
    values: list[tuple[str, bytes]] = []
    lines: dict[str, int] = {}
    # The mac is always the last line, so a secret may be named `mac` (or any other keyword):
    # what a line is follows from where it is, never from the name it starts with.
    while cursor.index < len(cursor.lines) - 1:
        line = cursor.take()
        name, sep, encoded = line.partition(": ")
        if not sep or not SECRET_NAME.fullmatch(name):
            raise fail(cursor.path, cursor.index, "expected `NAME: ciphertext`")
        if values and name <= values[-1][0]:
            what = "listed twice" if name == values[-1][0] else "out of order (names are sorted)"
            raise fail(cursor.path, cursor.index, f"secret {name} is {what}")
        try:
            values.append((name, b64_raw_decode(encoded)))
        except AgeError:
            raise fail(
                cursor.path, cursor.index, f"secret {name}: ciphertext is not base64"
            ) from None
        lines[name] = cursor.index
    return tuple(values), lines


def wrap_data_key(data_key: bytes, recipients: Sequence[tuple[str, str]]) -> str:
    """The key block: the data key as an armored age file for every recipient."""
    return armor(encrypt(data_key, [Recipient.parse(public) for _, public in recipients]))


def seal(
    identity: FileIdentity,
    recipients: Sequence[tuple[str, str]],
    data_key: bytes,
    key_block: str,
    values: Mapping[str, str],
    previous: Mapping[str, tuple[str, bytes]] | None = None,
) -> SecretsFile:
    """A new file; a value equal to its `previous` plaintext keeps its exact ciphertext."""
    reuse = previous or {}
    sealed: list[tuple[str, bytes]] = []
    for name in sorted(values):
        if not SECRET_NAME.fullmatch(name):
            raise SecretsError(f"invalid secret name {name!r}: use letters, digits and _")
        try:
            values[name].encode("utf-8")
        except UnicodeEncodeError:
            raise SecretsError(f"secret {name}: the value is not valid Unicode text") from None
        old = reuse.get(name)
        if old is not None and hmac.compare_digest(old[0].encode(), values[name].encode()):
            sealed.append((name, old[1]))
        else:
            sealed.append((name, seal_value(data_key, identity, name, values[name])))
    mac = file_mac(data_key, identity, recipients, key_block, sealed)
    return SecretsFile(identity, tuple(recipients), key_block, tuple(sealed), mac)


def unlock(secrets: SecretsFile, identities: Sequence[AgeIdentity], path: str) -> bytes:
    """Recover the data key and check the MAC; errors say which check failed."""
    try:
        data_key = decrypt(dearmor(secrets.key_block), identities)
    except NoMatchingIdentity:
        mine = ", ".join(str(identity.recipient()) for identity in identities) or "none"
        theirs = ", ".join(name for name, _ in secrets.recipients)
        raise SecretsError(
            f"{path}: wrong key: your identity ({mine}) is not a recipient of this file "
            f"(recipients: {theirs})",
            hint="ask a recipient to run `kamalpy secrets recipients add NAME age1…`",
        ) from None
    except AgeError as error:
        raise fail(path, None, f"key block does not decrypt: {error}") from None
    if len(data_key) != DATA_KEY_SIZE:
        raise fail(path, None, "key block does not hold a data key")
    expected = file_mac(
        data_key, secrets.identity, secrets.recipients, secrets.key_block, secrets.values
    )
    if not hmac.compare_digest(expected, secrets.mac):
        raise _mac_failure(secrets, data_key, path)
    return data_key


def _mac_failure(secrets: SecretsFile, data_key: bytes, path: str) -> SecretsError:
    broken = [
        name
        for name, sealed in secrets.values
        if open_bytes(data_key, secrets.identity, name, sealed) is None
    ]
    if broken and len(broken) == len(secrets.values) > 1:
        return fail(
            path,
            None,
            "integrity check failed: no value decrypts for scope "
            f"{secrets.identity.scope!r} destination {secrets.identity.destination!r} "
            "(the scope/destination lines were edited, or values copied from another file)",
        )
    if broken:
        where = ", ".join(f"{name} (line {secrets.lines.get(name, '?')})" for name in broken)
        return fail(
            path,
            None,
            f"integrity check failed: value(s) {where} do not decrypt under their name in "
            "this file (edited, swapped, or copied from another file)",
        )
    return fail(
        path,
        None,
        "integrity check failed: the mac does not match the file (a line was added, dropped "
        "or edited: recipients, scope/destination or a value)",
    )


def open_values(secrets: SecretsFile, data_key: bytes, path: str) -> dict[str, str]:
    """Decrypt every value of an unlocked file."""
    out: dict[str, str] = {}
    for name, sealed in secrets.values:
        plain = open_bytes(data_key, secrets.identity, name, sealed)
        if plain is None:
            raise fail(path, secrets.lines.get(name), f"value {name} does not decrypt")
        try:
            out[name] = plain.decode("utf-8")
        except UnicodeDecodeError:
            # authentic (it decrypts) but not written by kamalpy, which stores only text
            raise fail(
                path, secrets.lines.get(name), f"value {name} decrypts, but is not UTF-8 text"
            ) from None
    return out
