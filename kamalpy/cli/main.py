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

from kamalpy import __version__
from kamalpy.cli import signals
from kamalpy.cli.output import Console
from kamalpy.errors import ExitCode, KamalpyError
from kamalpy.executor.cancel import Cancellation
from kamalpy.secrets.identity import IDENTITY_ENV

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
    # A top layer beside cli (import-linter forbids cli -> demo), loaded by name like the rest.
    "kamalpy.demo.command",
)


class _Registrar(Protocol):
    def __call__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="kamalpy",
        description="Deploy monorepo services to your own servers over ssh and docker, "
        "with zero downtime. Reads Kamal's deploy.yml.",
    )
    parser.add_argument("--version", action="version", version=f"kamalpy {__version__}")
    add_output_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        register: _Registrar = importlib.import_module(name).register
        register(subparsers)
    return parser


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
    with identity_kept_from_children():
        return _main(argv, environ)


@contextmanager
def identity_kept_from_children() -> Iterator[None]:
    """The key that opens the secrets store is read from `environ`, never inherited by a child.

    Editors, `$(…)` in imported dotenv files, hooks, ssh and docker all inherit os.environ.
    """
    saved = os.environ.pop(IDENTITY_ENV, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[IDENTITY_ENV] = saved


def _main(argv: Sequence[str] | None, environ: dict[str, str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = make_console(args, environ)
    if not getattr(args, "command", None):
        parser.print_help()
        return ExitCode.BAD_INPUT
    # One token per run: every flow (one per service, maybe in threads) watches the same one.
    args.cancel = cancel = Cancellation()
    try:
        with signals.handled(cancel, console.error):
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
