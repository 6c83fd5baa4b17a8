"""A value that must never be printed: secrets, passwords, private keys."""

from __future__ import annotations

from typing import Final

REDACTED: Final = "[REDACTED]"


class Sensitive:
    """A secret string: `str`/`repr`/`format` show `[REDACTED]`, `.reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that writes it (an env file through ssh's stdin)."""
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sensitive) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Sensitive", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Sensitive values are not picklable")
