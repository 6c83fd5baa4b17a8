"""Shared by `build` and `registry`: options, config loading, targets, secrets, the executor.

Config options come from `kamalpy.cli.common`; -H/-r/--dry-run mirror the deploy-flow commands
so both can move to one shared module without changing a flag.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping, Sequence

from kamalpy.cli.common import add_config_options, load_from_args
from kamalpy.cli.output import Console
from kamalpy.cli.secret_support import resolve_uses
from kamalpy.commands.ssh import settings_from_config
from kamalpy.config.model import Configuration
from kamalpy.deploy.secret_refs import SecretUse, all_uses
from kamalpy.errors import UsageError
from kamalpy.executor.base import Executor, Target
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.executor.routing import RoutingExecutor
from kamalpy.sensitive import Sensitive


def add_options(parser: argparse.ArgumentParser, *, hosts: bool = True) -> None:
    """The shared config options, host selection and --dry-run."""
    add_config_options(parser)
    if hosts:
        parser.add_argument("-H", "--hosts", help="comma-separated hosts (default: all)")
        parser.add_argument("-r", "--roles", help="comma-separated roles (default: all)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the exact commands per host, change nothing"
    )


def load(args: argparse.Namespace, environ: Mapping[str, str]) -> Configuration:
    """Load and validate the configuration the options point at."""
    return load_from_args(args, environ)


def _listed(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def app_targets(config: Configuration, args: argparse.Namespace) -> tuple[Target, ...]:
    """Targets of the app hosts, narrowed by -H and -r; unknown names are an error."""
    roles = _listed(getattr(args, "roles", None))
    hosts = _listed(getattr(args, "hosts", None))
    unknown_roles = sorted(set(roles or ()) - set(config.role_names))
    if unknown_roles:
        raise UsageError(f"unknown role(s): {', '.join(unknown_roles)}",
                         hint=f"roles: {', '.join(config.role_names)}")  # fmt: skip
    chosen = [h for r in config.roles if roles is None or r.name in roles for h in r.hosts]
    unknown_hosts = sorted(set(hosts or ()) - set(config.app_hosts))
    if unknown_hosts:
        raise UsageError(f"unknown host(s): {', '.join(unknown_hosts)}",
                         hint=f"hosts: {', '.join(config.app_hosts)}")  # fmt: skip
    selected = [h for h in dict.fromkeys(chosen) if hosts is None or h in hosts]
    settings = settings_from_config(config.ssh)
    local = set(config.extras.local_hosts)
    return tuple(Target(host, settings, local=host in local) for host in selected)


def secrets_named(
    config: Configuration, names: Sequence[str], environ: Mapping[str, str]
) -> dict[str, Sensitive]:
    """Values for secret names: the store, else the environment; SecretsError naming any missing."""
    wanted = set(names)
    uses = tuple(use for use in all_uses(config) if use.name in wanted)
    uses += tuple(SecretUse(n, "this command") for n in sorted(wanted - {u.name for u in uses}))
    return resolve_uses(config, uses, environ)


def make_executor(args: argparse.Namespace, console: Console) -> Executor:
    """RecordingExecutor for --dry-run (prints `host: command`), else local + ssh."""

    def show(host: str, argv: tuple[str, ...]) -> None:
        console.detail(f"  {host}$ {shlex.join(argv)}")

    if getattr(args, "dry_run", False):
        return RecordingExecutor(emit=lambda line: console.result(f"  {line}"))
    return RoutingExecutor(on_command=show)
