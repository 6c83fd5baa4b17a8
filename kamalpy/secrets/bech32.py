"""Bech32 (BIP 173) as age uses it: no length limit, one case only, checksum on lowercase."""

from __future__ import annotations

from typing import Final

CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    """A string is not valid bech32 (mixed case, bad character, bad checksum)."""


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _expand_hrp(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    """Regroup bits; when decoding (pad=False) leftover bits must be zero padding (BIP 173)."""
    accumulator = 0
    bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & max_value)
    if pad and bits:
        out.append((accumulator << (to_bits - bits)) & max_value)
    elif not pad and (bits >= from_bits or (accumulator << (to_bits - bits)) & max_value):
        raise Bech32Error("invalid padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode bytes under a human-readable part; the result is lowercase."""
    hrp = hrp.lower()
    words = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_expand_hrp(hrp), *words, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """Decode to (lowercase hrp, bytes); rejects mixed case and bad checksums."""
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixed upper and lower case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text):
        raise Bech32Error("missing separator or checksum")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise Bech32Error("character outside the printable range")
    hrp, rest = text[:separator], text[separator + 1 :]
    try:
        words = [CHARSET.index(c) for c in rest]
    except ValueError:
        raise Bech32Error("character outside the bech32 alphabet") from None
    if _polymod([*_expand_hrp(hrp), *words]) != 1:
        raise Bech32Error("checksum mismatch")
    return hrp, bytes(_convert_bits(words[:-6], 5, 8, pad=False))
