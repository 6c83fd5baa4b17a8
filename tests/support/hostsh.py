"""Run kamalpy's host-side `sh -c` scripts on this machine against a recording stand-in `docker`.

No root and no Docker engine: `docker` on PATH is a small script that logs its arguments and
answers from a table the test fills, so a test asserts what a script did, not how it reads.
`stand_in("curl")` puts the same recording script on PATH under another name.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# POSIX sh, not Python: a stand-in call costs a millisecond of CPU, not a Python start-up.
# Each call is logged as its arguments, each ended by \037, the call ended by \036.
_STAND_IN = r"""#!/bin/sh
here=${0%/*}
{ for arg in "$@"; do printf '%s\037' "$arg"; done; printf '\036'; } >> "$0.log"
i=0
while [ -f "$here/rows/$i.match" ]; do
  row="$here/rows/$i"; i=$((i + 1)); ok=1
  while IFS= read -r token; do
    found=0
    for arg in "$@"; do [ "$arg" = "$token" ] && { found=1; break; }; done
    [ "$found" = 1 ] || { ok=0; break; }
  done < "$row.match"
  [ "$ok" = 1 ] || continue
  if [ -f "$row.times" ]; then
    read -r left < "$row.times"
    [ "$left" -gt 0 ] || continue
    echo $((left - 1)) > "$row.times"
  fi
  read -r status < "$row.status"
  cat "$row.out"
  cat "$row.err" >&2
  exit "$status"
done
exit 0
"""


# What a stock host offers the scripts besides docker; linked into the scratch bin, which is the
# whole PATH, so this machine's real docker (if any) can never answer in the stand-in's place.
TOOLS = ("sh", "bash", "awk", "cat", "grep", "tail", "xargs", "mkdir", "install", "base64", "rm",
         "timeout", "sleep", "env", "touch", "dirname", "date", "stat", "head", "find",
         "rmdir", "chmod", "id", "tr", "cut")  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One answer of the stand-in: when every token of `match` is among the arguments."""

    match: tuple[str, ...]
    stdout: str
    stderr: str
    status: int
    times: int | None  # None: every time


@dataclass
class HostShell:
    """A scratch host: $HOME and working directory `home`, a stand-in `docker` first on PATH."""

    root: Path
    rows: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bin = self.root / "bin"
        self.home = self.root / "home"
        self.bin.mkdir(parents=True)
        self.home.mkdir()
        self.stand_in("docker")
        for tool in TOOLS:
            found = shutil.which(tool, path="/usr/bin:/bin")
            if found is not None:
                (self.bin / tool).symlink_to(found)

    def stand_in(self, name: str) -> None:
        """Put a recording stand-in called `name` on PATH (rows answer it like `docker`)."""
        command = self.bin / name
        command.write_text(_STAND_IN)
        command.chmod(0o755)

    def answer(
        self,
        *match: str,
        stdout: str = "",
        stderr: str = "",
        status: int = 0,
        times: int | None = None,
    ) -> None:
        """Answer `docker` calls whose arguments include every token of `match` (first row wins)."""
        self.rows.append(Row(match, stdout, stderr, status, times))

    def run(self, argv: Sequence[str], *, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
        """Run argv (an `sh -c` builder's output) with only this host's docker and the basics."""
        self._write_rows()
        env = {"PATH": str(self.bin), "HOME": str(self.home), "LC_ALL": "C"}
        return subprocess.run(
            list(argv), cwd=self.home, env=env, input=stdin.decode(), capture_output=True,
            text=True, timeout=30, check=False,
        )  # fmt: skip

    def _write_rows(self) -> None:
        rows = self.bin / "rows"
        shutil.rmtree(rows, ignore_errors=True)
        rows.mkdir()
        for index, row in enumerate(self.rows):
            base = rows / str(index)
            Path(f"{base}.match").write_text("".join(f"{token}\n" for token in row.match))
            Path(f"{base}.out").write_text(row.stdout)
            Path(f"{base}.err").write_text(row.stderr)
            Path(f"{base}.status").write_text(f"{row.status}\n")
            if row.times is not None:
                Path(f"{base}.times").write_text(f"{row.times}\n")

    @property
    def calls(self) -> list[tuple[str, ...]]:
        """Arguments of every `docker` call so far, in order."""
        return self.calls_of("docker")

    def calls_of(self, name: str) -> list[tuple[str, ...]]:
        """Arguments of every call to the stand-in `name` so far, in order."""
        log = self.bin / f"{name}.log"
        if not log.exists():
            return []
        records = log.read_text().split("\036")[:-1]
        return [tuple(record.split("\037")[:-1]) for record in records]

    def commands(self, verb: str) -> list[tuple[str, ...]]:
        """The `docker <verb> ...` calls, in order."""
        return [c for c in self.calls if c[:1] == (verb,)]
