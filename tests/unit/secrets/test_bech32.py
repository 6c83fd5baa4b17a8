from __future__ import annotations

import pytest

from kamalpy.secrets import bech32
from kamalpy.secrets.age import AgeError, AgeIdentity, Recipient

# Example keys from the age specification (c2sp.org/age): identity and its recipient.
SPEC_IDENTITY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
SPEC_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"


def test_spec_identity_yields_spec_recipient() -> None:
    identity = AgeIdentity.parse(SPEC_IDENTITY)
    assert str(identity.recipient()) == SPEC_RECIPIENT
    assert identity.encode() == SPEC_IDENTITY


def test_bip173_valid_strings_decode() -> None:
    assert bech32.decode("A12UEL5L") == ("a", b"")
    assert bech32.decode("a12uel5l") == ("a", b"")
    hrp, _ = bech32.decode(
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs"
    )
    assert hrp.startswith("an83")


@pytest.mark.parametrize(
    "text",
    ["A12uEL5L", "a12uel5m", "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "A1G7SGD8"],
)
def test_bip173_invalid_strings_are_refused(text: str) -> None:
    with pytest.raises(bech32.Bech32Error):
        bech32.decode(text)


def test_encode_decode_round_trip_of_32_bytes() -> None:
    data = bytes(range(32))
    assert bech32.decode(bech32.encode("age", data)) == ("age", data)


@pytest.mark.parametrize(
    "text",
    [
        SPEC_RECIPIENT.upper(),  # recipients are lowercase
        SPEC_RECIPIENT[:-1] + "q",  # checksum
        SPEC_IDENTITY,  # an identity is not a recipient
        bech32.encode("age", bytes(31)),  # wrong length
    ],
)
def test_bad_recipients_are_refused(text: str) -> None:
    with pytest.raises(AgeError):
        Recipient.parse(text)


def test_lowercase_identity_is_refused_and_repr_hides_the_key() -> None:
    with pytest.raises(AgeError):
        AgeIdentity.parse(SPEC_IDENTITY.lower())
    identity = AgeIdentity.parse(SPEC_IDENTITY)
    assert "GFPYY" not in repr(identity) and "[REDACTED]" in repr(identity)
