"""`kamalpy secrets recipients …`: list, add, remove, sync; each shows whose access changes."""

from __future__ import annotations

import argparse
import sys

from kamalpy.cli.output import Console
from kamalpy.cli.secrets_common import Subparsers, identity_of, repo_root
from kamalpy.cli.secrets_common import add_command as _add
from kamalpy.errors import ExitCode, UsageError
from kamalpy.secrets import members
from kamalpy.secrets.access import describe
from kamalpy.secrets.store import load_policy


def register_recipients(commands: Subparsers) -> None:
    """Add `recipients` and its actions."""
    parser = commands.add_parser("recipients", help="who can decrypt which files")
    sub = parser.add_subparsers(dest="recipients_command", metavar="ACTION", required=True)
    _add(sub, "list", _recipients_list, "list recipients and their access")
    add = _add(sub, "add", _recipients_add, "add a recipient, re-wrap the files it may read")
    add.add_argument("name")
    add.add_argument("key", metavar="AGE1_PUBLIC_KEY")
    add.add_argument(
        "--access", action="append", default=[], help="SCOPE or SCOPE/DEST (repeatable; default *)"
    )
    remove = _add(sub, "remove", _recipients_remove, "remove a recipient, rotate its files")
    remove.add_argument("name")
    sync = _add(sub, "sync", _recipients_sync, "make files follow recipients.yml (shows who)")
    sync.add_argument("--yes", action="store_true", help="apply without asking (CI)")


def _recipients_list(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    for member in load_policy(repo_root(args)).members:
        console.result(f"{member.name}  {member.key}  {', '.join(member.access)}")
    return ExitCode.OK


def _report(console: Console, changes: list[members.Change]) -> None:
    for change in changes:
        console.info(f"{change.path}: {change.action}")


def _recipients_add(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root, identity = repo_root(args), identity_of(environ)
    _report(console, members.add_recipient(root, args.name, args.key, args.access, identity))
    return ExitCode.OK


def _recipients_remove(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root, identity = repo_root(args), identity_of(environ)
    changes = members.remove_recipient(root, args.name, identity)
    _report(console, changes)
    if changes:
        console.warn(
            f"{args.name} could read the values in {', '.join(c.path for c in changes)}; "
            "a new data key does not un-share them: change those passwords and tokens too"
        )
    return ExitCode.OK


def _recipients_sync(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = repo_root(args)
    pending = members.pending_changes(root)
    if not pending:
        console.info("every file already follows secrets/recipients.yml")
        return ExitCode.OK
    console.info("following secrets/recipients.yml changes who can read these files:")
    console.info(describe(pending))
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("not on a terminal: review the change above, then pass --yes")
        answer = input("apply this change? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            console.info("nothing changed")
            return ExitCode.BAD_INPUT
    _report(console, members.sync(root, identity_of(environ), pending))
    return ExitCode.OK
