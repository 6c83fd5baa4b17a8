"""Shared by the deploy-flow commands: options, config loading, secrets, the flow's Context.

This is the only place the flows' clock, user name, environment and executor are chosen.
"""

from __future__ import annotations

import argparse
import getpass
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from kamalpy.cli.common import add_config_options, load_from_args
from kamalpy.cli.output import Console
from kamalpy.cli.secret_support import secrets_for_command, ssh_key_data
from kamalpy.commands.lock import Holder
from kamalpy.config.model import Configuration
from kamalpy.deploy.context import Context
from kamalpy.errors import ConfigError, UsageError
from kamalpy.executor.agent import NamedKey
from kamalpy.executor.base import Executor
from kamalpy.executor.bounds import DEFAULT_BOUNDS, CommandBounds, bounds_from
from kamalpy.executor.cancel import Cancellation
from kamalpy.executor.localproc import this_process
from kamalpy.executor.process import ProcessRunner, run_process, run_process_direct
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.executor.routing import RoutingExecutor
from kamalpy.executor.ssh import HANDSHAKES_AT_ONCE

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def add_target_options(
    parser: argparse.ArgumentParser, *, mutating: bool = True, hosts: bool = True
) -> None:
    """The shared config options (-c/-s/-d/--version), -H/--hosts, -r/--roles, --dry-run."""
    add_config_options(parser)
    if hosts:
        parser.add_argument("-H", "--hosts", help="comma-separated hosts to act on (default: all)")
        parser.add_argument("-r", "--roles", help="comma-separated roles to act on (default: all)")
    if mutating:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the exact commands per host, change nothing",
        )


def selection(value: str | None) -> list[str] | None:
    """A comma-separated option as a list, or None for "all"."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def load(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    version: str | None = None,
    *,
    fallback_version: str | None = None,
) -> Configuration:
    """Load and validate the configuration the options point at, and the -H/-r selection.

    Commands that act on what already runs pass `fallback_version="latest"`, so they work
    without git or $VERSION; `--version`, then $VERSION, then git HEAD still win.
    """
    if version is not None:
        args = argparse.Namespace(**{**vars(args), "app_version": version})
    try:
        config = load_from_args(args, environ)
    except ConfigError as error:
        if fallback_version is None or "version" not in error.message:
            raise
        fallback = argparse.Namespace(**{**vars(args), "app_version": fallback_version})
        config = load_from_args(fallback, environ)
    _check_selection(config, args)
    return config


def _check_selection(config: Configuration, args: argparse.Namespace) -> None:
    roles = set(selection(getattr(args, "roles", None)) or ())
    unknown_roles = sorted(roles - set(config.role_names))
    if unknown_roles:
        raise UsageError(
            f"unknown role(s): {', '.join(unknown_roles)}",
            hint=f"roles: {', '.join(config.role_names)}",
        )
    hosts = set(selection(getattr(args, "hosts", None)) or ())
    unknown_hosts = sorted(hosts - set(config.app_hosts))
    if unknown_hosts:
        raise UsageError(
            f"unknown host(s): {', '.join(unknown_hosts)}",
            hint=f"hosts: {', '.join(config.app_hosts)}",
        )


def performer(environ: Mapping[str, str]) -> str:
    """Who is deploying: $KAMAL_PERFORMER, else the local user name."""
    try:
        return environ.get("KAMAL_PERFORMER") or getpass.getuser()
    except OSError:
        return "unknown"


def make_executor(
    args: argparse.Namespace,
    console: Console,
    runner: str | None = None,
    agent_keys: Sequence[NamedKey] = (),
    bounds: CommandBounds = DEFAULT_BOUNDS,
    channels: bool = True,
    max_concurrent_starts: int = HANDSHAKES_AT_ONCE,
) -> Executor:
    """The recording executor for --dry-run (prints per host), else local + ssh."""

    def show(host: str, argv: tuple[str, ...]) -> None:
        console.detail(f"  {host}$ {shlex.join(argv)}")

    if getattr(args, "dry_run", False):
        return RecordingExecutor(emit=lambda line: console.result(f"  {line}"))
    # KAMALPY_PROCESS_RUNNER=sh|subprocess overrides the executor's default (sh).
    return RoutingExecutor(
        on_command=show,
        runner=RUNNERS.get(runner or ""),
        agent_keys=agent_keys,
        bounds=bounds,
        channels=channels,
        max_concurrent_starts=max_concurrent_starts,
    )


def host_executor(
    args: argparse.Namespace, console: Console, environ: Mapping[str, str], config: Configuration
) -> Executor:
    """`make_executor` for commands without a context, with the keys of ssh.key_data."""
    keys = ssh_key_data(config, environ, console.warn)
    console.hide([key for _, key in keys])
    bounds = bounds_from(config.extras.command_timeouts)
    return make_executor(
        args, console, environ.get("KAMALPY_PROCESS_RUNNER"), keys, bounds, use_channels(environ),
        config.sshkit.max_concurrent_starts,
    )  # fmt: skip


def use_channels(environ: Mapping[str, str]) -> bool:
    """KAMALPY_SSH_CHANNELS=0: one ssh process per host command instead of shared sessions."""
    return environ.get("KAMALPY_SSH_CHANNELS", "1") != "0"


RUNNERS: dict[str, ProcessRunner] = {"sh": run_process, "subprocess": run_process_direct}


def running_context(
    args: argparse.Namespace, console: Console, environ: Mapping[str, str], command: str
) -> Context:
    """The context of a command on what already runs: no build, so the version may be `latest`."""
    config = load(args, environ, fallback_version="latest")
    return make_context(args, console, environ, config, command)


def make_context(
    args: argparse.Namespace,
    console: Console,
    environ: Mapping[str, str],
    config: Configuration,
    command: str,
    *,
    executor: Executor | None = None,
) -> Context:
    """Everything a flow needs, with the clock and user read here and nowhere below.

    `executor`: share one (a monorepo run: one ssh connection per host for every service).
    """
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    who = performer(environ)
    secrets = secrets_for_command(config, command, environ, console.warn)
    console.hide(list(secrets.values()))  # an app echoing its env into logs/diagnostics
    return Context(
        config=config,
        executor=executor
        or make_executor(
            args,
            console,
            environ.get("KAMALPY_PROCESS_RUNNER"),
            tuple((name, secrets[name]) for name in config.ssh.key_data),
            bounds_from(config.extras.command_timeouts),
            use_channels(environ),
            config.sshkit.max_concurrent_starts,
        ),
        console=console,
        clock=time.monotonic,
        recorded_at=now,
        performer=who,
        dry_run=bool(getattr(args, "dry_run", False)),
        secrets=secrets,
        hooks_env=dict(environ),
        command=command,
        cancel=getattr(args, "cancel", None) or Cancellation(),
        holder=lock_holder(who),
    )


def lock_holder(user: str) -> Holder:
    """This process as a deploy lock records it, so a later run can tell it is gone."""
    me = this_process()
    return Holder(
        user=user.replace(" ", "_") or "unknown", machine=me.machine, pid=me.pid,
        started=me.started, boot_id=me.boot_id, pid_namespace=me.pid_namespace,
        command=shlex.join(["kamalpy", *sys.argv[1:]]).replace("\n", " "),
    )  # fmt: skip
