"""What the `kamalpy secrets` subcommands share: registering, repository root, identity."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from kamalpy.cli.output import Console
from kamalpy.secrets.identity import Identity, load_identity
from kamalpy.secrets.store import find_root

Handler = Callable[[argparse.Namespace, Console, dict[str, str]], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(
    commands: Subparsers, name: str, handler: Handler, text: str, scope: bool = False
) -> argparse.ArgumentParser:
    """Add one subcommand (with SCOPE and -d when `scope`) that runs `handler`."""
    parser = commands.add_parser(name, help=text, description=text)
    if scope:
        parser.add_argument("scope", help="a service name, or common")
        parser.add_argument("-d", "--destination", help="destination (default: none)")
    parser.set_defaults(handler=handler)
    return parser


def repo_root(args: argparse.Namespace) -> Path:
    """-C, else the nearest folder upward holding secrets/ or .git."""
    root: Path | None = getattr(args, "root", None)
    return root.resolve() if root else find_root(Path.cwd())


def home_of(environ: dict[str, str]) -> Path:
    """$HOME as kamalpy was started with it."""
    return Path(environ["HOME"]) if environ.get("HOME") else Path.home()


def identity_of(environ: dict[str, str]) -> Identity:
    """The identity that opens the store (SecretsError says how to get one)."""
    return load_identity(environ, home_of(environ))
