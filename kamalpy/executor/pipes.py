"""`a | b` across targets: e.g. `docker save` here streamed into `docker load` on a host."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from kamalpy.commands.files import install_from_stdin_argv
from kamalpy.executor.base import Completed, ExecutorBase, OnCommand, Target, check_completed
from kamalpy.executor.process import ProcessResult, run_attached, run_pipeline

SIGPIPE_STATUS = 141


class Spawner(Protocol):
    """Knows the local process that runs argv on a target, and how to read its exit."""

    def process_argv(self, target: Target, argv: Sequence[str]) -> tuple[str, ...]:
        """The local argv that runs `argv` on `target` (ssh for hosts)."""
        ...

    def process_env(self, target: Target) -> dict[str, str] | None:
        """Extra environment for that local process (None: inherit ours)."""
        ...

    def after_exit(
        self,
        target: Target,
        exit_status: int,
        stderr: str,
        argv: Sequence[str] = (),
        seconds: float = 0,
    ) -> None:
        """Raise HostUnreachable for a lost connection, CommandTimedOut for argv past its bound."""
        ...


Side = tuple[Spawner, Target, Sequence[str]]


def pipe_between(
    source: Side, dest: Side, check: bool, timeout: float | None, on_command: OnCommand | None
) -> Completed:
    """Run source's stdout into dest's stdin; report dest, or source if only source failed."""
    (src_spawner, src_target, src_argv), (dst_spawner, dst_target, dst_argv) = source, dest
    src_cmd, dst_cmd = tuple(src_argv), tuple(dst_argv)
    if on_command:
        on_command(src_target.name, src_cmd)
        on_command(dst_target.name, dst_cmd)
    src_raw, dst_raw = run_pipeline(
        src_spawner.process_argv(src_target, src_cmd),
        dst_spawner.process_argv(dst_target, dst_cmd),
        timeout=timeout,
        source_env=src_spawner.process_env(src_target),
        dest_env=dst_spawner.process_env(dst_target),
    )
    src, dst = _completed(src_target, src_cmd, src_raw), _completed(dst_target, dst_cmd, dst_raw)
    dst_spawner.after_exit(dst_target, dst.exit_status, dst.stderr, dst_cmd, dst_raw.seconds)
    src_spawner.after_exit(src_target, src.exit_status, src.stderr, src_cmd, src_raw.seconds)
    # A dest failure explains a SIGPIPE at the source, so the dest is reported first.
    failed = dst if not dst.ok else (src if src.exit_status not in (0, SIGPIPE_STATUS) else None)
    if failed is None:
        return dst
    return check_completed(failed) if check else failed


def _completed(target: Target, argv: tuple[str, ...], raw: ProcessResult) -> Completed:
    return Completed(
        target.name,
        argv,
        raw.exit_status,
        raw.stdout.decode(errors="replace"),
        raw.stderr.decode(errors="replace"),
        raw.seconds,
    )


class SpawningExecutor(ExecutorBase):
    """What the local and ssh executors share: uploads through stdin, pipes within themselves."""

    _on_command: OnCommand | None

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
        """Run argv on target (each subclass spawns its own way)."""
        raise NotImplementedError

    def process_argv(self, target: Target, argv: Sequence[str]) -> tuple[str, ...]:
        """The local argv that runs `argv` on `target`."""
        raise NotImplementedError

    def process_env(self, target: Target) -> dict[str, str] | None:
        """Extra environment for the local process (None: inherit ours)."""
        return None

    def after_exit(
        self,
        target: Target,
        exit_status: int,
        stderr: str,
        argv: Sequence[str] = (),
        seconds: float = 0,
    ) -> None:
        """Raise HostUnreachable if this exit means the connection was lost."""

    def upload(
        self,
        target: Target,
        remote_path: str,
        content: bytes,
        *,
        mode: str = "600",
        parent_mode: str | None = None,
    ) -> Completed:
        """Write content to a path on target through the child's stdin (`install -D -m MODE`)."""
        return self.run(
            target,
            install_from_stdin_argv(remote_path, mode, parent_mode=parent_mode),
            stdin=content,
        )

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
        """Stream a command on one target into a command on another (through this machine)."""
        return pipe_between(
            (self, source, source_argv), (self, dest, dest_argv), check, timeout, self._on_command
        )

    def attach(self, target: Target, argv: Sequence[str], *, tty: bool = False) -> int:
        """Run argv on target with this terminal's stdio (`logs -f`, `exec -i`); its exit status."""
        argv = tuple(argv)
        if self._on_command:
            self._on_command(target.name, argv)
        return run_attached(self.attached_argv(target, argv, tty=tty), env=self.process_env(target))

    def attached_argv(self, target: Target, argv: Sequence[str], *, tty: bool) -> tuple[str, ...]:
        """The local argv for an attached run; ssh adds `-t` when a terminal is wanted."""
        return self.process_argv(target, argv)
