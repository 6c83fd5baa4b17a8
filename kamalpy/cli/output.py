"""Output for people: per-host step lines with timings, colour only on a tty, quiet/verbose/json."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from typing import IO, Any

from kamalpy.sensitive import Sensitive

# Shorter values are too likely to be ordinary words; scrubbing them would garble every line.
MIN_SCRUBBED = 4

_WRITING = threading.Lock()

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


@dataclass
class Console:
    """Where every line for a person goes; the flows call it, never `print`."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    colour: bool = False
    quiet: bool = False
    verbose: bool = False
    hidden: list[Sensitive] = field(default_factory=list)

    def hide(self, values: list[Sensitive]) -> None:
        """Replace these values with [REDACTED] wherever they would be printed (logs, errors)."""
        self.hidden.extend(v for v in values if len(v.reveal()) >= MIN_SCRUBBED)
        self.hidden.sort(key=lambda v: -len(v.reveal()))  # longest first: no partial leftovers

    def _print(self, text: str, stream: IO[str]) -> None:
        for value in self.hidden:
            text = text.replace(value.reveal(), "[REDACTED]")
        with _WRITING:  # hosts report from parallel threads: one whole line at a time
            stream.write(text + "\n")
            stream.flush()

    def paint(self, text: str, colour: str) -> str:
        """Wrap text in an ANSI colour when writing to a terminal."""
        if not self.colour:
            return text
        return f"\033[{_COLOURS[colour]}m{text}\033[0m"

    def info(self, text: str) -> None:
        """A normal progress line (hidden by --quiet)."""
        if not self.quiet:
            self._print(text, self.out)

    def detail(self, text: str) -> None:
        """A line shown only with --verbose (exact commands)."""
        if self.verbose:
            self._print(self.paint(text, "dim"), self.err)

    def step(self, host: str, what: str, seconds: float, ok: bool = True) -> None:
        """One line per host and step, with its timing."""
        mark = self.paint("ok", "green") if ok else self.paint("FAILED", "red")
        self.info(f"  {self.paint(host, 'blue')}  {what}  {mark}  ({seconds:.2f}s)")

    def result(self, text: str) -> None:
        """Output that is the command's answer: shown even with --quiet."""
        self._print(text, self.out)

    def json(self, data: Any) -> None:
        """Machine-readable output: one stable JSON document."""
        self._print(json.dumps(data, indent=2, sort_keys=True), self.out)

    def error(self, text: str) -> None:
        """An error line on stderr, never hidden."""
        self._print(self.paint("error: ", "red") + text, self.err)

    def warn(self, text: str) -> None:
        """A warning on stderr, never hidden."""
        self._print(self.paint("warning: ", "yellow") + text, self.err)
