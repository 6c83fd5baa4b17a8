"""`kamalpy registry login|logout`: on this machine and on every app host."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kamalpy.cli import build_support
from kamalpy.cli import flow_support as fs
from kamalpy.cli.output import Console
from kamalpy.deploy.registry import login, logout, uses_registry
from kamalpy.errors import ExitCode
from kamalpy.executor.base import LOCAL, Completed, Target
from kamalpy.executor.fanout import HostResults

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: Subparsers) -> None:
    """Add `registry login` and `registry logout`."""
    parser = subparsers.add_parser("registry", help="log in to or out of the image registry")
    actions = parser.add_subparsers(dest="registry_action", metavar="ACTION", required=True)
    for name, handler, text in (
        ("login", run_login, "docker login here and on hosts (password through stdin)"),
        ("logout", run_logout, "docker logout here and on hosts"),
    ):
        action = actions.add_parser(name, help=text)
        fs.add_target_options(action)
        action.add_argument("-L", "--skip-local", action="store_true", help="not on this machine")
        action.add_argument("-R", "--skip-remote", action="store_true", help="not on the hosts")
        action.set_defaults(handler=handler)


def _targets(args: argparse.Namespace, hosts: tuple[Target, ...]) -> list[Target]:
    local = [] if args.skip_local else [LOCAL]
    return local + ([] if args.skip_remote else list(hosts))


def run_login(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Log in everywhere; the password comes from the secrets store or the environment."""
    config = fs.load(args, environ)
    registry = config.registry
    if not uses_registry(registry):
        console.info(
            f"{registry.server}: local registry form, images go over ssh; nothing to log in"
        )
        return ExitCode.OK
    names = [c.secret for c in (registry.username, registry.password) if c and c.secret]
    secrets = build_support.secrets_named(config, names, environ)
    targets = _targets(args, build_support.app_targets(config, args))
    with fs.host_executor(args, console, environ, config) as executor:
        results = login(executor, targets, registry, secrets)
    return _report(console, results, f"login {registry.server or 'Docker Hub'}")


def run_logout(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Log out everywhere."""
    config = fs.load(args, environ)
    if not uses_registry(config.registry):
        console.info(f"{config.registry.server}: local registry form; nothing to log out of")
        return ExitCode.OK
    targets = _targets(args, build_support.app_targets(config, args))
    with fs.host_executor(args, console, environ, config) as executor:
        results = logout(executor, targets, config.registry)
    return _report(console, results, f"logout {config.registry.server or 'Docker Hub'}")


def _report(console: Console, results: HostResults[Completed], what: str) -> int:
    for host in results:
        done = results.results.get(host)
        console.step(host, what, done.seconds if done else 0.0, ok=done is not None)
    results.raise_for_failures()
    return ExitCode.OK
