"""Runs commands on hosts through the system `ssh`: one multiplexed connection per host per run."""

from __future__ import annotations

import shlex
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from kamalpy.commands.ssh import SshSettings, ssh_argv, ssh_control_argv
from kamalpy.errors import CommandTimedOut, HostUnreachable
from kamalpy.executor import controldirs, process
from kamalpy.executor.agent import NamedKey, PrivateAgent
from kamalpy.executor.base import Completed, OnCommand, Target, check_completed
from kamalpy.executor.bounds import DEFAULT_BOUNDS, CommandBounds, bound_for, bounded_argv
from kamalpy.executor.bounds import timed_out as bound_expired
from kamalpy.executor.channel import (
    STDIN_MAX,
    Channel,
    ChannelPool,
    as_process_result,
    loop_argv,
    new_token,
)
from kamalpy.executor.pipes import SpawningExecutor
from kamalpy.executor.process import ProcessResult, ProcessRunner
from kamalpy.executor.retry import (
    ConnectionAttemptFailed,
    RetryPolicy,
    hint_for,
    retry_connection,
)

SSH_FAILURE = 255
_NO_SETTINGS = SshSettings()
# Our own backstop after the host's `timeout` (bound + grace): only a host that stopped
# answering altogether gets this far, and keepalives usually notice that first.
_LOCAL_SLACK = 5.0
# ssh connections started at once: deploy.yml's sshkit.max_concurrent_starts (Kamal's meaning:
# a bound on connection starts, not on work), but never more than this: thirty handshakes at a
# time on a busy 2-core machine ran past an attempt's budget (bench/fleet.py, 100 hosts).
# Queueing for a slot does not count against the budget.
HANDSHAKES_AT_ONCE = 8
_MASTER_NOTICES = 2.0  # seconds a master may take to see its connection gone
_COMMAND_SHOWN = 200  # characters of a command an error quotes (host scripts can be long)


class SshExecutor(SpawningExecutor):
    """Executor for hosts; honours ~/.ssh/config, the agent and jump hosts (it is plain `ssh`)."""

    def __init__(
        self,
        *,
        on_command: OnCommand | None = None,
        retry: RetryPolicy | None = None,
        runner: ProcessRunner | None = None,
        agent_keys: Sequence[NamedKey] = (),
        bounds: CommandBounds = DEFAULT_BOUNDS,
        channels: bool = True,
        max_concurrent_starts: int = HANDSHAKES_AT_ONCE,
    ) -> None:
        self._on_command = on_command
        self._runner = runner or process.DEFAULT_RUNNER
        self._bounds = bounds
        self._retry = retry or RetryPolicy()
        # Sockets live in a private 0700 dir; those of killed runs are removed first.
        controldirs.sweep(self._runner)
        self._control_dir = controldirs.create()
        self._masters: dict[Target, threading.Lock] = {}
        self._connected: set[Target] = set()
        # Hosts declared lost in this run fail at once: trying again would hold every later
        # step (cleanup included) for another connection budget.
        self._lost: dict[str, str] = {}
        self._lock = threading.Lock()
        starts = max(1, min(max_concurrent_starts, HANDSHAKES_AT_ONCE))
        self._handshakes = threading.Semaphore(starts)
        # ssh.key_data: keys live in an agent of our own, started with the first connection.
        self._agent = (
            PrivateAgent(self._control_dir, agent_keys, self._runner) if agent_keys else None
        )
        self._agent_started = False
        # Commands (with small stdin too) share a few long-lived shell sessions per host
        # (channel.py): one ssh client per command cost most of a fleet deploy's CPU.
        self._channels = ChannelPool() if channels else None

    @property
    def control_dir(self) -> str:
        """Where the master sockets live (tests look at it)."""
        return self._control_dir

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
        """Run argv on the host under its bound (explicit `timeout`, else by kind).

        ssh exit 255 with the connection gone raises HostUnreachable; a command that outlived
        its bound was killed on the host and raises CommandTimedOut (the host counts as lost).
        """
        if env is not None:
            raise ValueError("env cannot cross ssh safely; upload an env file and use --env-file")
        argv = tuple(argv)
        bound = timeout if timeout is not None else bound_for(argv, self._bounds)
        self.connect(target)
        remote = bounded_argv(argv, bound, self._bounds.grace)
        if self._on_command:
            self._on_command(target.name, argv)
        raw = self._run_remote(target, remote, stdin, bound + self._bounds.grace + _LOCAL_SLACK)
        stderr = raw.stderr.decode(errors="replace")
        if raw.timed_out or bound_expired(raw.exit_status, raw.seconds, bound):
            self.timed_out(target, argv, bound)
        self.after_exit(target, raw.exit_status, stderr)
        result = Completed(
            target.name, argv, raw.exit_status, raw.stdout.decode(errors="replace"), stderr,
            raw.seconds,
        )  # fmt: skip
        return check_completed(result) if check else result

    def _run_remote(
        self, target: Target, remote: tuple[str, ...], stdin: bytes | None, limit: float
    ) -> ProcessResult:
        """Over one of the host's channels (stdin too, when small), else its own ssh."""
        pool = self._channels
        channel = None
        if (stdin is None or len(stdin) <= STDIN_MAX) and pool is not None:
            channel = pool.take(target.name, lambda: self._open_channel(target))
        if pool is None or channel is None:
            full = self._ssh(target, remote)
            return self._runner(full, stdin=stdin, timeout=limit, env=self.process_env(target))
        result = channel.run(shlex.join(remote), limit, stdin)
        if not result.ended:
            pool.give(target.name, channel)
            return as_process_result(result)
        pool.drop(target.name, channel)
        if not result.timed_out:
            self._session_ended(target, result.stderr.decode(errors="replace"))
        return as_process_result(result)

    def _session_ended(self, target: Target, stderr: str) -> None:
        """A channel gone mid-command: the host is unreachable (lost, once its master died too).

        The session can end a moment before the master notices its connection is gone (sshd
        killed), so the master gets a short while to show it before the host counts as lost.
        """
        detail = (stderr.strip() or "the ssh session ended") + " (lost during a command)"
        deadline = time.monotonic() + _MASTER_NOTICES
        while self._master_alive(target):
            if time.monotonic() >= deadline:
                raise HostUnreachable(target.name, detail)  # the command may have run: no retry
            time.sleep(0.2)
        with self._lock:
            self._connected.discard(target)
            self._lost[target.name] = detail
        raise HostUnreachable(target.name, detail)

    def _open_channel(self, target: Target) -> Channel:
        token = new_token()
        return Channel(self._ssh(target, loop_argv(token)), token, self.process_env(target))

    def timed_out(self, target: Target, argv: Sequence[str], bound: float) -> None:
        """Remember the host as lost (later commands fail at once) and raise CommandTimedOut."""
        command = shlex.join(argv)
        if len(command) > _COMMAND_SHOWN:
            command = command[:_COMMAND_SHOWN] + "…"
        with self._lock:
            self._connected.discard(target)
            self._lost[target.name] = f"a command timed out after {bound:g}s"
        raise CommandTimedOut(target.name, command, bound)

    def process_argv(self, target: Target, argv: Sequence[str]) -> tuple[str, ...]:
        """The local `ssh …` argv for argv (under its bound by kind), connecting first if needed."""
        self.connect(target)
        bound = bound_for(argv, self._bounds)
        return self._ssh(target, bounded_argv(argv, bound, self._bounds.grace))

    def _ssh(self, target: Target, argv: Sequence[str]) -> tuple[str, ...]:
        return ssh_argv(self._settings(target), target.name, argv, control_dir=self._control_dir)

    def attached_argv(self, target: Target, argv: Sequence[str], *, tty: bool) -> tuple[str, ...]:
        """`ssh [-t] host command` over the host's master connection."""
        self.connect(target)
        settings = self._settings(target)
        return ssh_argv(settings, target.name, argv, control_dir=self._control_dir, tty=tty)

    def process_env(self, target: Target) -> dict[str, str] | None:
        """The ssh client's extra environment: our agent's socket when keys came as data."""
        return self._agent.env if self._agent is not None else None

    def _settings(self, target: Target) -> SshSettings:
        """The target's ssh settings plus the public halves of the agent's keys."""
        settings = target.ssh or _NO_SETTINGS
        if self._agent is None:
            return settings
        return replace(settings, keys=(*settings.keys, *self._agent.identity_files))

    def _start_agent(self) -> None:
        with self._lock:
            if self._agent is not None and not self._agent_started:
                self._agent.start()
                self._agent_started = True

    def after_exit(
        self,
        target: Target,
        exit_status: int,
        stderr: str,
        argv: Sequence[str] = (),
        seconds: float = 0,
    ) -> None:
        """Exit 255 with a dead master is a lost connection; with a live one it is the command's."""
        # A pipe's end (argv given) stopped by the host's `timeout`: reported as `run` does.
        bound = bound_for(argv, self._bounds) if argv else 0.0
        if argv and bound_expired(exit_status, seconds, bound):
            self.timed_out(target, argv, bound)
        if exit_status == SSH_FAILURE and not self._master_alive(target):
            detail = (stderr.strip() or "connection lost") + " (lost during a command)"
            with self._lock:
                self._connected.discard(target)
                self._lost[target.name] = detail
            # Not retried: the command may have started before the connection dropped.
            raise HostUnreachable(target.name, detail)

    def connect(self, target: Target) -> None:
        """Open the host's master connection once, retrying ssh failures (nothing has run yet)."""
        self._start_agent()
        with self._lock:
            host_lock = self._masters.setdefault(target, threading.Lock())
        with host_lock:
            if target in self._connected:
                return
            if target.name in self._lost:
                raise HostUnreachable(
                    target.name, f"lost earlier in this run: {self._lost[target.name]}"
                )
            try:
                retry_connection(lambda: self._open_master(target), self._retry)
            except ConnectionAttemptFailed as failure:
                self._lost[target.name] = failure.detail
                error = HostUnreachable(target.name, failure.detail)
                error.hint = hint_for(failure.detail)
                raise error from None
            with self._lock:
                self._connected.add(target)

    def _open_master(self, target: Target) -> None:
        """One connection attempt: the host's first channel (it becomes the master), else `true`."""
        settings = self._settings(target)
        budget = _connect_budget(settings)
        if self._channels is not None:
            with self._handshakes:
                channel = self._open_channel(target)
                greeting = channel.ready(budget)
            if not greeting.ended:  # no separate session (and login shell) just to connect
                self._channels.adopt(target.name, channel)
                return
            channel.close(wait=0)
            raw = as_process_result(greeting)
        else:
            argv = ssh_argv(settings, target.name, ["true"], control_dir=self._control_dir)
            with self._handshakes:
                raw = self._runner(argv, timeout=budget, env=self.process_env(target))
        if raw.exit_status != 0 or raw.timed_out:
            said = raw.stderr.decode(errors="replace").strip()
            ended = f"ssh exited {raw.exit_status}"
            detail = said or (f"timed out after {budget:g}s" if raw.timed_out else ended)
            raise ConnectionAttemptFailed(detail, transient=hint_for(detail) is None)

    def _master_alive(self, target: Target) -> bool:
        settings = target.ssh or _NO_SETTINGS
        argv = ssh_control_argv(settings, target.name, "check", control_dir=self._control_dir)
        return self._runner(argv, timeout=10).exit_status == 0

    def close(self) -> None:
        """End the channels, stop every master connection and remove the socket dir."""
        if self._channels is not None:
            self._channels.close()
        with self._lock:
            connected, self._connected = list(self._connected), set()
        # All at once: one by one, every run's end waited a round trip per host.
        stoppers = [threading.Thread(target=self._stop_master, args=(t,)) for t in connected]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        if self._agent is not None:
            self._agent.stop()
        shutil.rmtree(self._control_dir, ignore_errors=True)

    def _stop_master(self, target: Target) -> None:
        settings = target.ssh or _NO_SETTINGS
        argv = ssh_control_argv(settings, target.name, "exit", control_dir=self._control_dir)
        self._runner(argv, timeout=10)


def _connect_budget(settings: SshSettings) -> float:
    """How long one connection attempt may take before it counts as failed."""
    # A silent port fails at ConnectTimeout (5 s) and is tried once more within RetryPolicy's
    # 10 s; a slow handshake on a loaded machine gets 14 s: either way lost within LOST_WITHIN.
    return float(settings.connect_timeout or 10) + 9.0
