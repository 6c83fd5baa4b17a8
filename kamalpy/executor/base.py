"""What every executor offers: targets, completed commands, and the `Executor` protocol."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from kamalpy.commands.ssh import SshSettings
from kamalpy.errors import CommandFailed

__all__ = [
    "LOCAL",
    "Completed",
    "Executor",
    "OnCommand",
    "SshSettings",
    "Target",
    "check_completed",
]

# Called with (target name, argv) before each command runs: the CLI prints it with --verbose.
OnCommand = Callable[[str, tuple[str, ...]], None]

_TAIL_LINES = 20


@dataclass(frozen=True)
class Target:
    """Where a command runs: "local" for this machine, else a host as written in the config.

    A host with `local=True` (listed in `x-kamalpy.local_hosts`) is this machine too: its
    commands run here without ssh, in the host home directory, as `ssh host cmd` would.
    """

    name: str
    ssh: SshSettings | None = None
    local: bool = False

    @property
    def is_local(self) -> bool:
        """True for the machine kamalpy runs on."""
        return self.local or self.name == "local"

    @property
    def is_local_host(self) -> bool:
        """True for a configured host that is this machine (not kamalpy's own "local")."""
        return self.local and self.name != "local"

    def __str__(self) -> str:
        return self.name


LOCAL = Target("local")


@dataclass(frozen=True)
class Completed:
    """A finished command: where, what, exit status, decoded output and wall time."""

    target: str
    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.exit_status == 0


def check_completed(result: Completed) -> Completed:
    """Return `result`, or raise `CommandFailed` naming host, command, status and output tail."""
    if result.ok:
        return result
    output = result.stderr.strip() or result.stdout.strip()
    tail = "\n".join(output.splitlines()[-_TAIL_LINES:])
    raise CommandFailed(
        host=result.target,
        command=shlex.join(result.argv),
        exit_status=result.exit_status,
        output_tail=tail,
    )


class Executor(Protocol):
    """Runs argv tuples on targets. Implementations: local, ssh, routing, recording."""

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
        """Run argv on target; raise CommandFailed (if check) or HostUnreachable."""
        ...

    def upload(
        self,
        target: Target,
        remote_path: str,
        content: bytes,
        *,
        mode: str = "600",
        parent_mode: str | None = None,
    ) -> Completed:
        """Write content to remote_path on target through stdin, with mode (parent: parent_mode)."""
        ...

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
        """Stream source_argv's stdout into dest_argv's stdin (e.g. docker save | docker load)."""
        ...

    def attach(self, target: Target, argv: Sequence[str], *, tty: bool = False) -> int:
        """Run argv on target with this terminal's stdin/stdout/stderr; return its exit status."""
        ...

    def close(self) -> None:
        """Release connections (ssh masters) and temp dirs."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ExecutorBase:
    """Context-manager plumbing shared by the concrete executors."""

    def close(self) -> None:
        """Nothing to release by default."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
