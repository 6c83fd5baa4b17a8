"""An executor that records and prints commands instead of running them: `--dry-run` and tests."""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kamalpy.commands.files import install_from_stdin_argv
from kamalpy.executor.base import Completed, ExecutorBase, OnCommand, Target, check_completed

# A canned answer matches a call by target (None = any) and argv (prefix or predicate).
ArgvMatcher = Sequence[str] | Callable[[tuple[str, ...]], bool]


@dataclass(frozen=True)
class Recorded:
    """One recorded call: never the stdin content (it may hold secrets), only its length."""

    target: str
    argv: tuple[str, ...]
    stdin_length: int | None = None
    kind: str = "run"  # run | upload | pipe-source | pipe-dest


@dataclass
class _Canned:
    target: str | None
    matcher: ArgvMatcher
    stdout: str
    stderr: str
    exit_status: int
    times: int | None  # None: forever

    def matches(self, target: str, argv: tuple[str, ...]) -> bool:
        if self.target is not None and self.target != target:
            return False
        if callable(self.matcher):
            return self.matcher(argv)
        prefix = tuple(self.matcher)
        return argv[: len(prefix)] == prefix


class RecordingExecutor(ExecutorBase):
    """Records each call, prints `host: command` via `emit`, answers success or canned output."""

    def __init__(
        self, *, emit: Callable[[str], None] | None = None, on_command: OnCommand | None = None
    ) -> None:
        self.calls: list[Recorded] = []
        self._emit = emit
        self._on_command = on_command
        self._canned: list[_Canned] = []
        self._lock = threading.Lock()

    def respond(
        self,
        matcher: ArgvMatcher,
        *,
        stdout: str = "",
        stderr: str = "",
        exit_status: int = 0,
        target: str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer calls matching `matcher` (argv prefix or predicate), `times` times or forever.

        The first registered answer that matches and is not used up wins.
        """
        self._canned.append(_Canned(target, matcher, stdout, stderr, exit_status, times))

    def run(
        self,
        target: Target,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        """Record and print argv; return the canned answer or an empty success."""
        stdin_length = None if stdin is None else len(stdin)
        return self._record(target, tuple(argv), stdin_length, "run", check)

    def attach(self, target: Target, argv: Sequence[str], *, tty: bool = False) -> int:
        """Record an attached run (`logs -f`, `exec -i`) as a plain command; report success."""
        return self._record(target, tuple(argv), None, "attach", False).exit_status

    def upload(
        self,
        target: Target,
        remote_path: str,
        content: bytes,
        *,
        mode: str = "600",
        parent_mode: str | None = None,
    ) -> Completed:
        """Record the install command and the content's length, never the content."""
        argv = install_from_stdin_argv(remote_path, mode, parent_mode=parent_mode)
        return self._record(target, argv, len(content), "upload", True)

    def pipe(
        self,
        source: Target,
        source_argv: Sequence[str],
        dest: Target,
        dest_argv: Sequence[str],
        *,
        check: bool = True,
        timeout: float | None = None,
    ) -> Completed:
        """Record both ends of a stream and print them as one `a | b` line."""
        src, dst = tuple(source_argv), tuple(dest_argv)
        with self._lock:
            self.calls.append(Recorded(source.name, src, None, "pipe-source"))
            self.calls.append(Recorded(dest.name, dst, None, "pipe-dest"))
        for name, argv in ((source.name, src), (dest.name, dst)):
            if self._on_command:
                self._on_command(name, argv)
        if self._emit:
            self._emit(f"{source.name}: {shlex.join(src)} | {dest.name}: {shlex.join(dst)}")
        return self._answer(dest.name, dst, check)

    def commands_for(self, target: str) -> list[tuple[str, ...]]:
        """The argv of every call recorded for one target, in order."""
        return [call.argv for call in self.calls if call.target == target]

    def _record(
        self,
        target: Target,
        argv: tuple[str, ...],
        stdin_length: int | None,
        kind: str,
        check: bool,
    ) -> Completed:
        with self._lock:
            self.calls.append(Recorded(target.name, argv, stdin_length, kind))
        if self._on_command:
            self._on_command(target.name, argv)
        if self._emit:
            suffix = f"  # {stdin_length} bytes on stdin" if stdin_length is not None else ""
            self._emit(f"{target.name}: {shlex.join(argv)}{suffix}")
        return self._answer(target.name, argv, check)

    def _answer(self, target: str, argv: tuple[str, ...], check: bool) -> Completed:
        with self._lock:
            canned = next(
                (c for c in self._canned if c.times != 0 and c.matches(target, argv)), None
            )
            if canned is not None and canned.times is not None:
                canned.times -= 1
        if canned is None:
            return Completed(target, argv, 0, "", "", 0.0)
        result = Completed(target, argv, canned.exit_status, canned.stdout, canned.stderr, 0.0)
        return check_completed(result) if check else result
