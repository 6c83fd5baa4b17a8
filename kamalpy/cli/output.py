"""Output for people: per-host step lines with timings, colour only on a tty, quiet/verbose/json."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import IO, Any

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


@dataclass
class Console:
    """Where every line for a person goes; the flows call it, never `print`."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    colour: bool = False
    quiet: bool = False
    verbose: bool = False

    def paint(self, text: str, colour: str) -> str:
        """Wrap text in an ANSI colour when writing to a terminal."""
        if not self.colour:
            return text
        return f"\033[{_COLOURS[colour]}m{text}\033[0m"

    def info(self, text: str) -> None:
        """A normal progress line (hidden by --quiet)."""
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def detail(self, text: str) -> None:
        """A line shown only with --verbose (exact commands)."""
        if self.verbose:
            print(self.paint(text, "dim"), file=self.err, flush=True)

    def step(self, host: str, what: str, seconds: float, ok: bool = True) -> None:
        """One line per host and step, with its timing."""
        mark = self.paint("ok", "green") if ok else self.paint("FAILED", "red")
        self.info(f"  {self.paint(host, 'blue')}  {what}  {mark}  ({seconds:.2f}s)")

    def result(self, text: str) -> None:
        """Output that is the command's answer: shown even with --quiet."""
        print(text, file=self.out, flush=True)

    def json(self, data: Any) -> None:
        """Machine-readable output: one stable JSON document."""
        print(json.dumps(data, indent=2, sort_keys=True), file=self.out, flush=True)

    def error(self, text: str) -> None:
        """An error line on stderr, never hidden."""
        print(self.paint("error: ", "red") + text, file=self.err, flush=True)

    def warn(self, text: str) -> None:
        """A warning on stderr, never hidden."""
        print(self.paint("warning: ", "yellow") + text, file=self.err, flush=True)
