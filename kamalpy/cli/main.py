"""The `kamalpy` entry point: parse arguments, run one command, funnel errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import kamalpy
from kamalpy.cli import signals
from kamalpy.cli.output import Console
from kamalpy.errors import ExitCode, KamalpyError
from kamalpy.executor.cancel import Cancellation

# Each module registers its subcommands; adding a command is adding a name here.
COMMAND_MODULES: tuple[str, ...] = (
    "kamalpy.cli.config_cmd",
    "kamalpy.cli.secrets_cmd",
    "kamalpy.cli.deploy_cmd",
    "kamalpy.cli.monorepo_cmd",
    "kamalpy.cli.app_cmd",
    "kamalpy.cli.ops_cmd",
    "kamalpy.cli.build_cmd",
    "kamalpy.cli.registry_cmd",
    "kamalpy.cli.accessory_cmd",
    "kamalpy.cli.remove_cmd",
    "kamalpy.cli.details_cmd",
    "kamalpy.cli.setup_cmd",
    "kamalpy.cli.init_cmd",
    # A top layer beside cli (import-linter forbids cli -> demo), loaded by name like the rest.
    "kamalpy.demo.command",
)


# Every command's one-line help, so `kamalpy` and `kamalpy --help` list them without importing
# every command module (start-up); tests/unit/cli/test_main_help.py checks it against them.
COMMAND_HELP: dict[str, str] = {
    "config": "show the resolved configuration of a service",
    "docs": "show the deploy.yml reference",
    "secrets": "encrypted secrets committed beside the code",
    "deploy": "build, push and deploy with zero downtime",
    "redeploy": "deploy without bootstrapping (same flow, no proxy boot)",
    "rollback": "boot a retained version again (default: previous)",
    "plan": "what a monorepo deploy would do, per service, and why",
    "why": "each changed input of SERVICE with the rule that made it one",
    "why-not": "changed files that match no input rule of SERVICE, and its rules",
    "app": "operate the app's containers",
    "audit": "the last lines of the audit log (primary host)",
    "prune": "remove old stopped containers and unused images",
    "lock": "the deploy lock on the primary host",
    "proxy": "the Traefik proxy on every host",
    "build": "build the image and get it onto the hosts",
    "registry": "log in to or out of the image registry",
    "accessory": "databases and caches beside the app",
    "remove": "remove the service from its hosts: app, accessories, routes, env files, login "
    "(the proxy only where no other service uses it)",
    "details": "per host: every service's containers, the proxy and the accessories",
    "setup": "check the servers (saying exactly what to fix), install Docker where absent, "
    "then boot the proxy and accessories and deploy; safe to run again",
    "init": "make this git repository a kamalpy monorepo (noxfile, a service, secrets)",
    "demo": "deploy the example monorepo to this machine, then show change detection",
}


# Which module registers each command, so `kamalpy deploy ...` imports only what deploy needs.
COMMAND_MODULE: dict[str, str] = {
    **dict.fromkeys(("config", "docs"), "kamalpy.cli.config_cmd"),
    "secrets": "kamalpy.cli.secrets_cmd",
    **dict.fromkeys(("deploy", "redeploy", "rollback"), "kamalpy.cli.deploy_cmd"),
    **dict.fromkeys(("plan", "why", "why-not"), "kamalpy.cli.monorepo_cmd"),
    "app": "kamalpy.cli.app_cmd",
    **dict.fromkeys(("audit", "prune", "lock", "proxy"), "kamalpy.cli.ops_cmd"),
    "details": "kamalpy.cli.details_cmd",
    "accessory": "kamalpy.cli.accessory_cmd",
    "remove": "kamalpy.cli.remove_cmd",
    "setup": "kamalpy.cli.setup_cmd",
    "build": "kamalpy.cli.build_cmd",
    "registry": "kamalpy.cli.registry_cmd",
    "init": "kamalpy.cli.init_cmd",
    "demo": "kamalpy.demo.command",
}


class _Registrar(Protocol):
    def __call__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def build_parser(*, light: bool = False, only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand (light: names and help only; only: the
    commands of the module that registers `only`)."""
    parser = argparse.ArgumentParser(
        prog="kamalpy",
        description="Deploy monorepo services to your own servers over ssh and docker, "
        "with zero downtime. Reads Kamal's deploy.yml.",
    )
    parser.add_argument("--version", action=_Version)
    add_output_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    if light:
        for name, help_text in COMMAND_HELP.items():
            subparsers.add_parser(name, help=help_text)
        return parser
    for name in (COMMAND_MODULE[only],) if only in COMMAND_MODULE else COMMAND_MODULES:
        register: _Registrar = importlib.import_module(name).register
        register(subparsers)
    return parser


class _Version(argparse.Action):
    """`--version`, reading the installed version only when asked (it is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit")  # fmt: skip

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"kamalpy {kamalpy.__version__}")  # stdout, as argparse's own version action
        parser.exit()


def command_of(argv: Sequence[str]) -> str | None:
    """The command argv names (the top-level options take no values), None for options only."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Options every command shares: verbosity, colour, tracebacks."""
    group = parser.add_argument_group("output")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="only errors and the command's result",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the exact commands (secrets redacted)",
    )
    group.add_argument(
        "--no-color", action="store_true", default=argparse.SUPPRESS, help="never colour output"
    )
    group.add_argument(
        "--traceback",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show Python tracebacks for internal errors",
    )


def make_console(args: argparse.Namespace, environ: dict[str, str]) -> Console:
    """A console configured from the flags, the tty and NO_COLOR."""
    colour = (
        sys.stdout.isatty() and not getattr(args, "no_color", False) and "NO_COLOR" not in environ
    )
    return Console(
        colour=colour,
        quiet=getattr(args, "quiet", False),
        verbose=getattr(args, "verbose", False),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run kamalpy with `argv` and return the process exit code."""
    environ = dict(os.environ)
    return _main(argv, environ)


@contextmanager
def identity_kept_from_children() -> Iterator[None]:
    """The key that opens the secrets store is read from `environ`, never inherited by a child.

    Editors, `$(…)` in imported dotenv files, hooks, ssh and docker all inherit os.environ.
    Only handlers start children, so it wraps the handler (and `--help` never loads secrets/).
    """
    from kamalpy.secrets.identity import IDENTITY_ENV

    saved = os.environ.pop(IDENTITY_ENV, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[IDENTITY_ENV] = saved


def _main(argv: Sequence[str] | None, environ: dict[str, str]) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = command_of(argv)
    parser = build_parser(light=command is None, only=command)
    args = parser.parse_args(argv)
    console = make_console(args, environ)
    if not getattr(args, "command", None):
        parser.print_help()
        return ExitCode.BAD_INPUT
    # One token per run: every flow (one per service, maybe in threads) watches the same one.
    args.cancel = cancel = Cancellation()
    try:
        with identity_kept_from_children(), signals.handled(cancel, console.error):
            code: int = args.handler(args, console, environ)
        return code
    except KamalpyError as error:
        console.error(error.render())
        return error.exit_code
    except KeyboardInterrupt as interrupt:
        console.error(f"interrupted by {interrupt}" if str(interrupt) else "interrupted")
        return cancel.error().exit_code if cancel.requested else ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as error:  # the one funnel: a bug is reported, not hidden
        if getattr(args, "traceback", False) or environ.get("KAMALPY_DEBUG"):
            traceback.print_exc()
        console.error(f"internal error: {type(error).__name__}: {error} (rerun with --traceback)")
        return ExitCode.DEPLOY_FAILED
