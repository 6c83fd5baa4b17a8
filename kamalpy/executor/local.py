"""Runs commands on the machine kamalpy runs on: kamalpy's own ("local") and local hosts'.

A local host's command runs as `ssh host cmd` would run it: in the home directory, with
$HOME set, so the paths the flows use (relative to home, or `$HOME/...`) mean the same
thing as on a remote host. kamalpy's own commands (builds) run in the current directory.
A local host's command also gets the bound a remote host's would (bounds.py): under `timeout`
when this machine has it (the whole process group is stopped), else our own wait's timeout.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping, Sequence

from kamalpy.errors import CommandTimedOut
from kamalpy.executor import process
from kamalpy.executor.base import Completed, OnCommand, Target, check_completed
from kamalpy.executor.bounds import DEFAULT_BOUNDS, CommandBounds, bound_for, bounded_argv
from kamalpy.executor.bounds import timed_out as bound_expired
from kamalpy.executor.pipes import SpawningExecutor
from kamalpy.executor.process import ProcessRunner


class LocalExecutor(SpawningExecutor):
    """Executor for the "local" target: argv straight to the OS, no shell."""

    def __init__(
        self,
        *,
        on_command: OnCommand | None = None,
        env: Mapping[str, str] | None = None,
        runner: ProcessRunner | None = None,
        host_home: str | None = None,
        bounds: CommandBounds = DEFAULT_BOUNDS,
    ) -> None:
        self._on_command = on_command
        self._bounds = bounds
        self._timeout_tool = shutil.which("timeout") is not None
        self._runner = runner or process.DEFAULT_RUNNER
        self._host_home = host_home  # the home of local hosts; None: inherited $HOME
        # Added to every local child's environment (e.g. DOCKER_CONFIG, DOCKER_HOST).
        self._env = dict(env) if env else None

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
        """Run argv locally; `env` adds variables to the child only (e.g. build secrets)."""
        argv = tuple(argv)
        if self._on_command:
            self._on_command(target.name, argv)
        extra = {**(self.process_env(target) or {}), **(env or {})}
        host = target.is_local_host
        bound = bound_for(argv, self._bounds) if host and timeout is None else timeout
        wait = bound
        if host and bound is not None and self._timeout_tool:
            wait = bound + self._bounds.grace + 5  # our wait is only the backstop of `timeout`
        local = self._process_argv(target, argv, bound)
        raw = self._runner(local, stdin=stdin, timeout=wait, env=extra or None)
        expired = bound is not None and bound_expired(raw.exit_status, raw.seconds, bound)
        if host and bound is not None and (raw.timed_out or expired):
            raise CommandTimedOut(target.name, shlex.join(argv)[:200], bound)
        result = Completed(
            target.name,
            argv,
            raw.exit_status,
            raw.stdout.decode(errors="replace"),
            raw.stderr.decode(errors="replace"),
            raw.seconds,
        )
        return check_completed(result) if check else result

    def process_argv(self, target: Target, argv: Sequence[str]) -> tuple[str, ...]:
        """The local process that runs argv: argv itself, or for a local host argv in $HOME."""
        bound = bound_for(argv, self._bounds) if target.is_local_host else None
        return self._process_argv(target, argv, bound)

    def _process_argv(
        self, target: Target, argv: Sequence[str], bound: float | None
    ) -> tuple[str, ...]:
        if not target.is_local_host:
            return tuple(argv)
        if bound is not None and self._timeout_tool:
            argv = bounded_argv(argv, bound, self._bounds.grace)
        # `cd` is what a login over ssh does; exec keeps argv intact (no shell parsing of it).
        return ("sh", "-c", 'cd "$HOME" && exec "$@"', "kamalpy-local-host", *argv)

    def process_env(self, target: Target) -> dict[str, str] | None:
        """Extra environment for a local process: the configured one, HOME for local hosts."""
        extra = dict(self._env or {})
        if target.is_local_host and self._host_home:
            extra["HOME"] = self._host_home
        return extra or None

    def after_exit(
        self,
        target: Target,
        exit_status: int,
        stderr: str,
        argv: Sequence[str] = (),
        seconds: float = 0,
    ) -> None:
        """A local host's pipe end stopped by its bound is CommandTimedOut, as a remote one is."""
        if not (target.is_local_host and argv and self._timeout_tool):
            return  # kamalpy's own commands have no bound: their exit is just a status
        bound = bound_for(argv, self._bounds)
        if bound_expired(exit_status, seconds, bound):
            raise CommandTimedOut(target.name, shlex.join(argv)[:200], bound)
