"""Pure: configuration + selection -> ordered steps (hosts, argv, what may retry)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One command to run on a set of hosts; `retry_safe` marks commands safe to repeat."""

    name: str
    hosts: tuple[str, ...]
    argv: tuple[str, ...]
    retry_safe: bool = False
    stdin_secret_names: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Plan:
    """An ordered list of steps, built without touching any host."""

    steps: tuple[Step, ...] = ()
