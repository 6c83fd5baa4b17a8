"""age keys, stanzas, payload and armor at their edges, each refusal with its exact text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kamalpy.errors import SecretsError
from kamalpy.secrets.age import (
    ARMOR_BEGIN,
    ARMOR_END,
    CHUNK_SIZE,
    AgeError,
    AgeIdentity,
    NoMatchingIdentity,
    Stanza,
    b64_raw,
    hkdf,
    unwrap_x25519,
    wrap_x25519,
)
from kamalpy.secrets.age_file import _chunk_nonce, _open, armor, dearmor, decrypt, encrypt
from kamalpy.secrets.crypto import FileIdentity, length_prefixed
from kamalpy.secrets.store import find_root, read_secrets

ALICE = AgeIdentity.generate()


def age_error(call: object, *args: object) -> str:
    with pytest.raises(AgeError) as refused:
        call(*args)  # type: ignore[operator]
    return str(refused.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("junk", "not an age identity (missing separator or checksum)"),
        (str(ALICE.recipient()).upper(), "not an age X25519 identity (expected AGE-SECRET-KEY-1…)"),
        (ALICE.encode().lower(), "not an age X25519 identity (expected AGE-SECRET-KEY-1…)"),
    ],
    ids=["junk", "a-recipient-in-capitals", "an-identity-in-lower-case"],  # keys vary per process
)
def test_identity_parse_refusals(text: str, message: str) -> None:
    assert age_error(AgeIdentity.parse, text) == message


def test_x25519_stanza_refusals() -> None:
    share = b64_raw(AgeIdentity.generate().recipient().public_key)
    assert age_error(unwrap_x25519, Stanza(("X25519",), bytes(32)), ALICE) == (
        "X25519 stanza must have exactly two arguments"
    )
    for stanza in (
        Stanza(("X25519", b64_raw(bytes(31))), bytes(32)),
        Stanza(("X25519", share), bytes(31)),
    ):
        assert age_error(unwrap_x25519, stanza, ALICE) == (
            "X25519 stanza has a wrong share or body length"
        )
    assert age_error(unwrap_x25519, Stanza(("X25519", b64_raw(bytes(32))), bytes(32)), ALICE) == (
        "X25519 stanza has a low-order share"
    )


def _file_with(stanza: Stanza, payload: bytes) -> bytes:
    header = b"age-encryption.org/v1\n" + stanza.encode() + b"--- "
    return header + b64_raw(bytes(32)).encode() + b"\n" + payload


def test_decrypt_refusals_in_full() -> None:
    short_key = wrap_x25519(bytes(15), ALICE.recipient())  # a 31-byte body
    assert age_error(decrypt, _file_with(short_key, bytes(32)), [ALICE]) == (
        "X25519 stanza has a wrong share or body length"
    )
    with pytest.raises(NoMatchingIdentity) as nobody:
        decrypt(encrypt(b"x", [ALICE.recipient()]), [AgeIdentity.generate()])
    assert str(nobody.value) == "no identity matches any recipient stanza"
    data = encrypt(b"x", [ALICE.recipient()])
    payload_at = data.index(b"\n", data.index(b"\n--- ") + 1) + 1
    assert age_error(decrypt, data[: payload_at + 15], [ALICE]) == "payload is truncated"
    assert age_error(decrypt, data[: payload_at + 16], [ALICE]) == (
        "payload chunk 0 does not decrypt (edited)"
    )


def test_a_payload_ending_with_an_empty_chunk_is_refused() -> None:
    key, nonce = os.urandom(16), os.urandom(16)
    aead = ChaCha20Poly1305(hkdf(key, nonce, b"payload"))
    full = aead.encrypt(_chunk_nonce(0, False), bytes(CHUNK_SIZE), None)
    empty = aead.encrypt(_chunk_nonce(1, True), b"", None)
    assert age_error(_open, key, nonce, full + empty) == "payload ends with an empty chunk"
    last = aead.encrypt(_chunk_nonce(0, True), bytes(CHUNK_SIZE), None)
    assert _open(key, nonce, last) == bytes(CHUNK_SIZE)


@pytest.mark.parametrize("size", [1, 5, 47, 48, 49, 100])
def test_armor_round_trips_short_files_and_crlf(size: int) -> None:
    data = os.urandom(size)
    assert dearmor(armor(data)) == data
    assert dearmor(armor(data).replace("\n", "\r\n")) == data


def _armored(lines: list[str]) -> str:
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


BODY = armor(bytes(range(100))).splitlines()[1:-1]  # three lines: 64, 64, 8 columns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("junk\n", "not an armored age file (BEGIN/END lines missing)"),
        (f"{ARMOR_BEGIN}\n{ARMOR_END}\n", "not an armored age file (BEGIN/END lines missing)"),
        (
            _armored(BODY).replace(ARMOR_END, "-----END AGE FILE-----"),
            "not an armored age file (BEGIN/END lines missing)",
        ),
        (_armored([BODY[0], BODY[1][:-4], BODY[2]]), "armor lines must be 64 columns"),
        (_armored([BODY[0][:-4], BODY[1], BODY[2]]), "armor lines must be 64 columns"),
        (_armored([BODY[0], BODY[1] + " ", BODY[2]]), "armor lines must be 64 columns"),
        (_armored([BODY[0], ""]), "armor lines must be 64 columns"),
        (_armored([BODY[0], BODY[1] + "A"]), "armor lines must be 64 columns"),
        (_armored([BODY[0], "A"]), "armor is not valid base64"),
        (_armored([BODY[0], "****" + BODY[1][4:]]), "armor is not valid base64"),
        (_armored(["YR=="]), "armor is not canonical base64"),
    ],
)
def test_dearmor_refusals(text: str, message: str) -> None:
    assert age_error(dearmor, text) == message


def test_length_prefixes_are_eight_bytes_big_endian() -> None:
    assert length_prefixed(["ab", b"\x00"]) == bytes(7) + b"\x02ab" + bytes(7) + b"\x01\x00"


def test_find_root_stops_at_a_git_checkout(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    assert find_root(tmp_path / "repo" / "a" / "b") == tmp_path / "repo"


def test_read_secrets_refusals_in_full(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "web" / "prod.secrets"
    expected = FileIdentity("web", "prod")
    with pytest.raises(SecretsError) as refused:
        read_secrets(tmp_path, path, expected)
    assert refused.value.message == "secrets/web/prod.secrets: no such secrets file"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\n")
    with pytest.raises(SecretsError) as refused:
        read_secrets(tmp_path, path, expected)
    assert refused.value.message == "secrets/web/prod.secrets: file is not UTF-8 text"
    assert refused.value.hint is not None and "restore it from git" in refused.value.hint


def test_the_file_mac_of_format_v1_is_fixed() -> None:
    """A known answer: the MAC's inputs (counts included) are the on-disk format v1."""
    from kamalpy.secrets.crypto import file_mac

    key, identity = bytes(range(32)), FileIdentity("web", "prod")
    recipients = [("alice", "age1a"), ("bob", "age1b")]
    values = [("A", b"\x01\x02"), ("B", b"")]
    assert file_mac(key, identity, recipients, "BLOCK\n", values).hex() == (
        "4d6e42bd6b64d2a837b0f36510059016b3157ef8df943a6b30fb25c035ca42fa"
    )
    assert file_mac(key, identity, [], "BLOCK\n", []).hex() == (
        "3c23e5a57498274daa15c08bc7704809c9623c4bedb6bc7778240ac9ab1a59a7"
    )


BAD_ARGUMENT = "stanza argument is empty or has invalid characters"


@pytest.mark.parametrize(
    ("arg_line", "body", "message"),
    [
        (b"-> X25519  abc", b"AAAA", "stanza argument is empty or has invalid characters"),
        (
            "-> X25519 \u00e9".encode(),
            b"AAAA",
            "stanza argument is empty or has invalid characters",
        ),
        (b"-> X25519 abc", b"A" * 65, "stanza body line longer than 64 columns"),
    ],
    ids=["empty argument", "non-ASCII argument", "body line of 65 columns"],
)
def test_stanza_refusals(arg_line: bytes, body: bytes, message: str) -> None:
    from kamalpy.secrets.age_file import parse_header

    data = b"age-encryption.org/v1\n" + arg_line + b"\n" + body + b"\n--- " + b"A" * 43 + b"\n"
    assert age_error(parse_header, data) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [("A", "invalid base64"), ("AA==", "invalid base64"), ("AB", "non-canonical base64")],
)
def test_unpadded_base64_refusals(text: str, message: str) -> None:
    from kamalpy.secrets.age import b64_raw_decode

    assert age_error(b64_raw_decode, text) == message


V1 = b"age-encryption.org/v1\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\n" + V1, "not an age v1 file (first line is not age-encryption.org/v1)"),
        (V1[:-1], "header is truncated"),
        (V1 + b"junk\n", "malformed header line"),
        (V1 + b"--- " + b"A" * 43 + b"\n", "header has no recipient stanza"),
        (V1 + b"-> x y\nAAAA\n--- AAAA\n", "header MAC has the wrong length"),
    ],
    ids=["blank first line", "no newline", "junk line", "no stanza", "short mac"],
)
def test_header_refusals(data: bytes, message: str) -> None:
    from kamalpy.secrets.age_file import parse_header

    assert age_error(parse_header, data) == message
