"""The executor the flows use: "local" runs here, every other target over ssh."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kamalpy.executor.agent import NamedKey
from kamalpy.executor.base import Completed, ExecutorBase, OnCommand, Target
from kamalpy.executor.bounds import DEFAULT_BOUNDS, CommandBounds
from kamalpy.executor.local import LocalExecutor
from kamalpy.executor.pipes import Spawner, pipe_between
from kamalpy.executor.process import ProcessRunner
from kamalpy.executor.retry import RetryPolicy
from kamalpy.executor.ssh import HANDSHAKES_AT_ONCE, SshExecutor


class RoutingExecutor(ExecutorBase):
    """Sends the "local" target to a LocalExecutor and hosts to one shared SshExecutor."""

    def __init__(
        self,
        *,
        on_command: OnCommand | None = None,
        retry: RetryPolicy | None = None,
        local_env: Mapping[str, str] | None = None,
        runner: ProcessRunner | None = None,
        host_home: str | None = None,
        agent_keys: Sequence[NamedKey] = (),
        bounds: CommandBounds = DEFAULT_BOUNDS,
        channels: bool = True,
        max_concurrent_starts: int = HANDSHAKES_AT_ONCE,
    ) -> None:
        self._on_command = on_command
        self.local = LocalExecutor(
            on_command=on_command, env=local_env, runner=runner, host_home=host_home, bounds=bounds
        )
        self.ssh = SshExecutor(
            on_command=on_command,
            retry=retry,
            runner=runner,
            agent_keys=agent_keys,
            bounds=bounds,
            channels=channels,
            max_concurrent_starts=max_concurrent_starts,
        )

    def _for(self, target: Target) -> LocalExecutor | SshExecutor:
        return self.local if target.is_local else self.ssh

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
        """Run argv on target (locally or over ssh)."""
        return self._for(target).run(
            target, argv, stdin=stdin, check=check, timeout=timeout, env=env
        )

    def upload(
        self,
        target: Target,
        remote_path: str,
        content: bytes,
        *,
        mode: str = "600",
        parent_mode: str | None = None,
    ) -> Completed:
        """Write content to a path on target through stdin."""
        return self._for(target).upload(
            target, remote_path, content, mode=mode, parent_mode=parent_mode
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
        """Stream source_argv on source into dest_argv on dest."""
        src: Spawner = self._for(source)
        dst: Spawner = self._for(dest)
        return pipe_between(
            (src, source, source_argv), (dst, dest, dest_argv), check, timeout, self._on_command
        )

    def attach(self, target: Target, argv: Sequence[str], *, tty: bool = False) -> int:
        """Run argv on target with this terminal's stdio; its exit status."""
        return self._for(target).attach(target, argv, tty=tty)

    def close(self) -> None:
        """Close ssh masters."""
        self.ssh.close()
