from __future__ import annotations

import os

import pytest

from kamalpy.secrets.age import AgeError, AgeIdentity, NoMatchingIdentity, Stanza
from kamalpy.secrets.age_file import armor, dearmor, decrypt, encrypt, parse_header


@pytest.fixture
def alice() -> AgeIdentity:
    return AgeIdentity.generate()


@pytest.mark.parametrize("size", [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000])
def test_encrypt_decrypt_round_trip_across_chunk_boundaries(alice: AgeIdentity, size: int) -> None:
    plaintext = os.urandom(size)
    assert decrypt(encrypt(plaintext, [alice.recipient()]), [alice]) == plaintext


def test_header_has_one_x25519_stanza_per_recipient_and_a_mac(alice: AgeIdentity) -> None:
    bob = AgeIdentity.generate()
    data = encrypt(b"k" * 32, [alice.recipient(), bob.recipient()])
    assert data.startswith(b"age-encryption.org/v1\n-> X25519 ")
    header = parse_header(data)
    assert [s.args[0] for s in header.stanzas] == ["X25519", "X25519"]
    assert all(len(s.body) == 32 for s in header.stanzas)
    assert header.mac_input.endswith(b"\n---")
    assert decrypt(data, [bob]) == b"k" * 32


def test_stanza_body_of_exactly_64_columns_ends_with_an_empty_line() -> None:
    encoded = Stanza(("test", "arg"), bytes(48)).encode()  # 48 bytes = 64 base64 columns
    assert encoded == b"-> test arg\n" + b"A" * 64 + b"\n\n"
    header = parse_header(b"age-encryption.org/v1\n" + encoded + b"--- " + b"A" * 43 + b"\n")
    assert header.stanzas[0].body == bytes(48)


def test_unknown_stanzas_are_ignored(alice: AgeIdentity) -> None:
    data = encrypt(b"secret", [alice.recipient()])
    # a foreign stanza breaks the MAC, so the file key is found but the MAC check must fail
    forged = data.replace(b"\n-> X25519", b"\n-> grease x\nAAAA\n-> X25519", 1)
    assert len(parse_header(forged).stanzas) == 2
    with pytest.raises(AgeError, match="MAC"):
        decrypt(forged, [alice])


def test_wrong_identity_is_no_matching_identity(alice: AgeIdentity) -> None:
    data = encrypt(b"secret", [alice.recipient()])
    with pytest.raises(NoMatchingIdentity):
        decrypt(data, [AgeIdentity.generate()])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.replace(b"age-encryption.org/v1", b"age-encryption.org/v2", 1), "v1"),
        (lambda d: d[: d.index(b"---")], "truncated"),
        (lambda d: d[:-1], "payload chunk"),
        (lambda d: d[:-20] + bytes([d[-20] ^ 1]) + d[-19:], "payload chunk"),
        (lambda d: d.replace(b"\n--- ", b"\n---  ", 1), "base64"),
    ],
)
def test_damaged_files_are_refused(alice: AgeIdentity, edit: object, message: str) -> None:
    data = encrypt(b"secret value", [alice.recipient()])
    with pytest.raises(AgeError, match=message):
        decrypt(edit(data), [alice])  # type: ignore[operator]


def test_armor_round_trip_and_strictness(alice: AgeIdentity) -> None:
    data = encrypt(os.urandom(100), [alice.recipient()])
    text = armor(data)
    assert dearmor("\n  " + text + "\n") == data
    lines = text.splitlines()
    assert all(len(line) == 64 for line in lines[1:-2])
    with pytest.raises(AgeError):
        dearmor(text.replace(lines[1], lines[1][:-1]))
    with pytest.raises(AgeError):
        dearmor("junk\n" + text)
