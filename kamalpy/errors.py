"""One exception tree for everything a user can be told, each carrying its exit code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; scripts and CI depend on these numbers."""

    OK = 0
    DEPLOY_FAILED = 1
    BAD_INPUT = 2
    LOCK_HELD = 3
    HUNG_UP = 129  # 128 + SIGHUP
    INTERRUPTED = 130  # 128 + SIGINT
    TERMINATED = 143  # 128 + SIGTERM


class KamalpyError(Exception):
    """Base of every error meant for a person: the message says what, where and what to do."""

    exit_code: ExitCode = ExitCode.DEPLOY_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The full text shown to a person (message, then hint if any)."""
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


@dataclass(frozen=True)
class Location:
    """Where in a user's file something is: path, 1-based line and column, key path."""

    path: str
    line: int | None = None
    column: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.key}" if self.key else where


class ConfigError(KamalpyError):
    """A configuration file is invalid; lists every problem found, each with its location."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[tuple[Location, str]], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        text = "\n".join(f"{loc}: {msg}" for loc, msg in self.problems)
        super().__init__(text, hint=hint)


class UsageError(KamalpyError):
    """The command line or an input value is wrong."""

    exit_code = ExitCode.BAD_INPUT


class SecretsError(KamalpyError):
    """A secrets file is missing, tampered with, or cannot be decrypted with the identity given."""

    exit_code = ExitCode.BAD_INPUT


class LockHeldError(KamalpyError):
    """Another deploy holds the lock."""

    exit_code = ExitCode.LOCK_HELD


class CommandFailed(KamalpyError):
    """A command exited non-zero; the message is the whole report (host, argv, code, tail)."""

    exit_code = ExitCode.DEPLOY_FAILED

    def __init__(
        self,
        *,
        host: str,
        command: str,
        exit_status: int,
        output_tail: str = "",
        hint: str | None = None,
    ) -> None:
        self.host = host
        self.command = command
        self.exit_status = exit_status
        self.output_tail = output_tail
        text = f"{host}: command exited {exit_status}: {command}"
        if output_tail.strip():
            indented = "\n".join("    " + line for line in output_tail.rstrip().splitlines())
            text += f"\n{indented}"
        super().__init__(text, hint=hint)


class HostUnreachable(KamalpyError):
    """ssh could not connect to a host (exit 255 after retries)."""

    exit_code = ExitCode.DEPLOY_FAILED

    def __init__(self, host: str, detail: str) -> None:
        self.host = host
        super().__init__(f"{host}: unreachable over ssh: {detail.strip()}")


class CommandTimedOut(HostUnreachable):
    """A remote command outlived its bound and was killed on the host; the host counts as lost."""

    def __init__(self, host: str, command: str, seconds: float) -> None:
        self.host = host
        self.command = command
        self.seconds = seconds
        KamalpyError.__init__(
            self,
            f"{host}: timed out after {seconds:g}s (killed on the host): {command}",
            hint="a hung docker daemon or host; raise x-kamalpy.command_timeouts if the "
            "command is just slow",
        )


class DeployFailed(KamalpyError):
    """A deploy stopped; the old version keeps serving. The message says where and why."""

    exit_code = ExitCode.DEPLOY_FAILED


class Interrupted(KamalpyError):
    """A signal stopped the command after it cleaned up; exit 128 + the signal's number."""

    def __init__(self, signal_name: str, code: int, message: str | None = None) -> None:
        super().__init__(message or f"interrupted by {signal_name}")
        self.signal_name = signal_name
        self.exit_code = ExitCode(code)
