"""Shared by the deploy-flow commands: common options, config loading, the flow's Context.

This is the only place the flows' clock, user name, environment and executor are chosen.
"""

from __future__ import annotations

import argparse
import getpass
import shlex
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from kamalpy.cli.output import Console
from kamalpy.config import load_config
from kamalpy.config.model import Configuration
from kamalpy.deploy.context import Context
from kamalpy.errors import UsageError
from kamalpy.executor.base import Executor
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.executor.routing import RoutingExecutor
from kamalpy.sensitive import Sensitive

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def add_target_options(parser: argparse.ArgumentParser, *, mutating: bool = True) -> None:
    """-c/--config-file, -s/--service, -d/--destination, --version, -H/--hosts, -r/--roles."""
    parser.add_argument(
        "-c",
        "--config-file",
        help="path to deploy.yml (default: "
        "services/<service>/deploy.yml with -s, else config/deploy.yml)",
    )
    parser.add_argument("-s", "--service", help="service name in a monorepo (services/<name>/)")
    parser.add_argument("-d", "--destination", help="destination (deploy.<dest>.yml overlay)")
    parser.add_argument("--version", dest="app_version", help="version to deploy/act on")
    parser.add_argument("-H", "--hosts", help="comma-separated hosts to act on (default: all)")
    parser.add_argument("-r", "--roles", help="comma-separated roles to act on (default: all)")
    if mutating:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the exact commands per host, change nothing",
        )


def config_path(args: argparse.Namespace) -> Path:
    """Where deploy.yml is, from -c or -s."""
    if getattr(args, "config_file", None):
        return Path(args.config_file)
    if getattr(args, "service", None):
        return Path("services") / args.service / "deploy.yml"
    return Path("config/deploy.yml")


def load(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    version: str | None = None,
    *,
    fallback_version: str | None = None,
) -> Configuration:
    """Load and validate the configuration the options point at.

    Commands that act on what already runs pass `fallback_version="latest"`, so they work
    without git or $VERSION; `--version`, then $VERSION, still win.
    """
    path = config_path(args)
    if not path.is_file():
        raise UsageError(
            f"{path}: no such configuration file",
            hint="pass -c PATH or -s SERVICE (services/<service>/deploy.yml)",
        )
    chosen = version or getattr(args, "app_version", None) or environ.get("VERSION")
    return load_config(
        path, destination=args.destination, environ=environ, version=chosen or fallback_version
    )


def selection(value: str | None) -> list[str] | None:
    """A comma-separated option as a list, or None for "all"."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def performer(environ: Mapping[str, str]) -> str:
    """Who is deploying: $KAMAL_PERFORMER, else the local user name."""
    try:
        return environ.get("KAMAL_PERFORMER") or getpass.getuser()
    except OSError:
        return "unknown"


def secrets_from(config: Configuration, environ: Mapping[str, str]) -> dict[str, Sensitive]:
    """Values of the secrets the roles reference: the encrypted store, else the environment."""
    names = {ref.secret for role in config.roles for ref in role.env.secrets}
    try:
        from kamalpy.secrets import resolve_secrets  # type: ignore[attr-defined]
    except ImportError:
        resolve_secrets = None
    if resolve_secrets is not None and names:
        resolved: dict[str, Sensitive] = resolve_secrets(
            config.root,
            config.service,
            config.destination,
            sorted(names),
            environ.get("KAMALPY_IDENTITY"),
        )
        return resolved
    return {name: Sensitive(environ[name]) for name in names if name in environ}


def make_executor(args: argparse.Namespace, console: Console) -> Executor:
    """The recording executor for --dry-run (prints per host), else local + ssh."""

    def show(host: str, argv: tuple[str, ...]) -> None:
        console.detail(f"  {host}$ {shlex.join(argv)}")

    if getattr(args, "dry_run", False):
        return RecordingExecutor(emit=lambda line: console.result(f"  {line}"))
    return RoutingExecutor(on_command=show)


def make_context(
    args: argparse.Namespace,
    console: Console,
    environ: Mapping[str, str],
    config: Configuration,
    command: str,
) -> Context:
    """Everything a flow needs, with the clock and user read here and nowhere below."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Context(
        config=config,
        executor=make_executor(args, console),
        console=console,
        clock=time.monotonic,
        recorded_at=now,
        performer=performer(environ),
        dry_run=bool(getattr(args, "dry_run", False)),
        secrets=secrets_from(config, environ),
        hooks_env=dict(environ),
        command=command,
    )
