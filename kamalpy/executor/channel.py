"""One shell session per host for many commands: framed commands in, framed results out.

Each command over ssh used to be one ssh client process and one sshd session (a login shell
started for it). A channel is one `ssh HOST sh -c LOOP` over the host's master connection that
lives for the run: the loop reads a command (already `shlex.join`ed: quoting still happens once,
here at the ssh edge), runs it with stdin from /dev/null, then writes its exit status and stderr
after a marker that carries a random token. A command may bring a small stdin (uploads, a
registry password): it travels as one escaped line after the command and reaches the command
through a pipe from the shell's `printf` builtin, so it is never in any argv; larger input keeps
its own ssh process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kamalpy.executor.process import ProcessResult

# The host side. $1 is the token. It greets with an empty frame (the session is up), then: a
# header line "N" announces a command of N lines ("N in": and
# then one line of stdin, escaped for printf's %b); the command runs under the shell's eval with
# its stderr in a temp file, then "\nTOKEN STATUS\n", the stderr, "\nTOKEN\n". `read`, `[` and
# `printf` are builtins: a command costs the host no extra process unless it wrote to stderr
# (cat) or has stdin (the subshell that feeds it).
LOOP = r"""T=$1
e=$(mktemp) || exit 1
trap 'rm -f "$e"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
printf '\n%s 0\n\n%s\n' "$T" "$T"
while IFS=' ' read -r n d; do
  c='' i=0
  while [ "$i" -lt "$n" ]; do
    IFS= read -r l || exit 0
    if [ "$i" -eq 0 ]; then c=$l; else c="$c
$l"; fi
    i=$((i + 1))
  done
  if [ -n "$d" ]; then
    IFS= read -r x || exit 0
    printf '%b' "$x" | { eval "$c"; } 2>"$e"
  else
    eval "$c" </dev/null 2>"$e"
  fi
  s=$?
  printf '\n%s %s\n' "$T" "$s"
  if [ -s "$e" ]; then cat "$e"; fi
  printf '\n%s\n' "$T"
done
"""

_READ = 65536
# Bigger stdin goes over its own ssh process: the host's `read` takes a pipe a byte at a time.
STDIN_MAX = 64 * 1024
# printf's %b escapes (\0ooo) for every byte but printable ASCII other than the backslash.
_ESCAPED = {b: f"\\0{b:03o}" for b in range(256) if not 0x20 <= b < 0x7F or b == 0x5C}
_EOF, _DEADLINE = "eof", "deadline"


@dataclass(frozen=True)
class ChannelResult:
    """A command's outcome, or (ended=True) the channel's end before the command finished."""

    exit_status: int
    stdout: bytes
    stderr: bytes
    seconds: float
    ended: bool = False
    timed_out: bool = False


def loop_argv(token: str) -> tuple[str, ...]:
    """The remote argv of a channel (ssh joins it into the session's command line)."""
    return ("sh", "-c", LOOP, "kamalpy-channel", token)


def new_token() -> str:
    """A marker no command output will contain by accident."""
    return "kp-" + secrets.token_hex(16)


class Channel:
    """A running `ssh HOST sh -c LOOP` process; one command at a time."""

    def __init__(
        self, local_argv: Sequence[str], token: str, env: Mapping[str, str] | None = None
    ) -> None:
        self._token = token.encode()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the channel)
        # Its own session: a ^C on the terminal reaches kamalpy, which stops at its next step
        # and cleans up through this channel, instead of killing every host's channel at once.
        self._process = subprocess.Popen(
            list(local_argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors,
            env={**os.environ, **env} if env is not None else None, start_new_session=True,
        )  # fmt: skip
        self._buffer = b""
        self._greeted = False

    @property
    def alive(self) -> bool:
        """True while the ssh process runs."""
        return self._process.poll() is None

    def ready(self, timeout: float) -> ChannelResult:
        """Wait for the loop's greeting; `ended` (with what ssh said) if the session never began."""
        start = time.monotonic()
        if not self._greeted:
            framed = self._read_frame(start + timeout)
            if not isinstance(framed, tuple):
                return self._ended(start, timed_out=framed == _DEADLINE)
            self._greeted = True
        return ChannelResult(0, b"", b"", time.monotonic() - start)

    def run(self, command: str, timeout: float, stdin: bytes | None = None) -> ChannelResult:
        """Send one joined command line (and its small stdin); its result, or `ended` if not."""
        start = time.monotonic()
        lines = command.split("\n")
        header = f"{len(lines)}\n" if stdin is None else f"{len(lines)} in\n"
        data = b"" if stdin is None else escape_stdin(stdin) + b"\n"
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(f"{header}{command}\n".encode() + data)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._ended(start)
        greeting = self.ready(timeout)
        if greeting.ended:
            return greeting
        framed = self._read_frame(start + timeout)
        if not isinstance(framed, tuple):
            return self._ended(start, timed_out=framed == _DEADLINE)
        status, out, err = framed
        return ChannelResult(status, out, err, time.monotonic() - start)

    def _read_frame(self, deadline: float) -> tuple[int, bytes, bytes] | str:
        """Read until the closing marker; else _EOF or _DEADLINE, whichever came first."""
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        opening, closing = b"\n" + self._token + b" ", b"\n" + self._token + b"\n"
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                parsed = _parse(self._buffer, opening, closing)
                if parsed is not None:
                    status, out, err, rest = parsed
                    self._buffer = rest
                    return status, out, err
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return _DEADLINE
                chunk = os.read(fd, _READ)
                if not chunk:
                    return _EOF
                self._buffer += chunk

    def _ended(self, start: float, *, timed_out: bool = False) -> ChannelResult:
        """Stop the process (if it still runs) and report what ssh said."""
        self._stop(wait=0 if timed_out else 2.0)  # after EOF, ssh exits at once
        self._errors.seek(0)
        said = self._errors.read()
        status = self._process.returncode if self._process.returncode is not None else 255
        seconds = time.monotonic() - start
        return ChannelResult(
            status if status >= 0 else 255, b"", said, seconds, ended=True, timed_out=timed_out
        )

    def end_input(self) -> None:
        """EOF on the loop's stdin: the host's shell ends after the current command."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(OSError):
                self._process.stdin.close()

    def close(self, wait: float = 2.0) -> None:
        """End the loop (EOF on its stdin) and the ssh process; kill it after `wait` seconds."""
        self._stop(wait)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._errors.close()

    def _stop(self, wait: float) -> None:
        self.end_input()
        try:
            self._process.wait(timeout=wait if wait > 0 else 0.001)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def escape_stdin(data: bytes) -> bytes:
    """data as one line that the host's `printf '%b'` turns back into exactly data."""
    return data.decode("latin-1").translate(_ESCAPED).encode("ascii")


def _parse(buffer: bytes, opening: bytes, closing: bytes) -> tuple[int, bytes, bytes, bytes] | None:
    """(status, stdout, stderr, rest) once a whole frame is in buffer, else None."""
    at = buffer.find(opening)
    if at < 0:
        return None
    line_end = buffer.find(b"\n", at + len(opening))
    if line_end < 0:
        return None
    end = buffer.find(closing, line_end)
    if end < 0:
        return None
    status = int(buffer[at + len(opening) : line_end] or b"255")
    return status, buffer[:at], buffer[line_end + 1 : end], buffer[end + len(closing) :]


def as_process_result(result: ChannelResult) -> ProcessResult:
    """The runner-shaped view the executor already knows how to judge."""
    return ProcessResult(
        result.exit_status, result.stdout, result.stderr, result.seconds, result.timed_out
    )


class ChannelPool:
    """Idle channels per host; at most `per_host` at once (sshd's MaxSessions is 10 by default)."""

    def __init__(self, per_host: int = 4) -> None:
        self._per_host = per_host
        self._idle: dict[str, list[Channel]] = {}
        self._open: dict[str, int] = {}
        self._all: list[Channel] = []
        self._lock = threading.Lock()

    def take(self, host: str, open_new: Callable[[], Channel]) -> Channel | None:
        """An idle channel to host, a new one, or None when host has `per_host` busy ones."""
        with self._lock:
            idle = self._idle.setdefault(host, [])
            while idle:
                channel = idle.pop()
                if channel.alive:
                    return channel
                self._open[host] -= 1
            if self._open.get(host, 0) >= self._per_host:
                return None
            self._open[host] = self._open.get(host, 0) + 1
        try:
            channel = open_new()
        except BaseException:
            with self._lock:
                self._open[host] -= 1
            raise
        with self._lock:
            self._all.append(channel)
        return channel

    def adopt(self, host: str, channel: Channel) -> None:
        """Count a channel opened outside `take` (the one that opened the connection) as idle."""
        with self._lock:
            self._open[host] = self._open.get(host, 0) + 1
            self._all.append(channel)
            self._idle.setdefault(host, []).append(channel)

    def give(self, host: str, channel: Channel) -> None:
        """Return a channel after a finished command."""
        with self._lock:
            self._idle.setdefault(host, []).append(channel)

    def drop(self, host: str, channel: Channel) -> None:
        """Forget a channel that ended (it was closed by its own end)."""
        channel.close(wait=0)
        with self._lock:
            self._open[host] -= 1

    def close(self) -> None:
        """End every channel: EOF to all first, so they wind down together."""
        with self._lock:
            channels, self._all, self._idle, self._open = self._all, [], {}, {}
        for channel in channels:
            channel.end_input()
        for channel in channels:
            channel.close()
