"""`kamalpy secrets …`: keygen, init, edit, set/get/list/unset, rotate, recipients, verify."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from kamalpy.cli.output import Console
from kamalpy.cli.secrets_edit import run_edit
from kamalpy.errors import ExitCode, SecretsError, UsageError
from kamalpy.executor.interactive import capture_shell
from kamalpy.secrets import api, members
from kamalpy.secrets.access import describe
from kamalpy.secrets.dotenv import parse_dotenv
from kamalpy.secrets.identity import (
    IDENTITY_ENV,
    Identity,
    identity_path,
    load_identity,
    write_new_identity,
)
from kamalpy.secrets.store import display, file_identity, find_root, load_policy, secrets_path
from kamalpy.secrets.textconv import textconv

Handler = Callable[[argparse.Namespace, Console, dict[str, str]], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(subparsers: Subparsers) -> None:
    """Add `secrets` and its subcommands."""
    parser = subparsers.add_parser("secrets", help="encrypted secrets committed beside the code")
    parser.add_argument("-C", "--root", type=Path, help="repository root (default: found upward)")
    commands = parser.add_subparsers(dest="secrets_command", metavar="SUBCOMMAND", required=True)
    keygen = _add(commands, "keygen", _keygen, "create your identity (0600), print its public key")
    keygen.add_argument("-o", "--output", help="identity file, or - for stdout")
    init = _add(commands, "init", _init, "create secrets/recipients.yml and .gitattributes")
    init.add_argument("--name", help="your name in recipients.yml (default: $USER)")
    _add(commands, "edit", _edit, "edit a file's values in $VISUAL/$EDITOR", scope=True)
    setter = _add(commands, "set", _set, "set one value from a hidden prompt or stdin", scope=True)
    setter.add_argument("name")
    setter.add_argument(
        "--keep-newline", action="store_true", help="keep a final newline read from stdin"
    )
    _add(commands, "get", _get, "print one value", scope=True).add_argument("name")
    _add(commands, "list", _list, "list names (needs no identity)", scope=True)
    unset = _add(commands, "unset", _unset, "remove values", scope=True)
    unset.add_argument("names", nargs="+", metavar="NAME")
    _add(commands, "rotate", _rotate, "new data key, every value re-encrypted", scope=True)
    verify = _add(commands, "verify", _verify, "check every file's structure and MAC")
    verify.add_argument(
        "--structure-only",
        action="store_true",
        help="succeed without an identity, checking structure and recipients, not the MACs",
    )
    importer = _add(commands, "import", _import, "encrypt a Kamal dotenv file", scope=True)
    importer.add_argument("file", type=Path, help="a .kamal/secrets-style file")
    _add(commands, "textconv", _textconv, "redacted view for git diff").add_argument(
        "file", type=Path
    )
    _register_recipients(commands)


def _register_recipients(commands: Subparsers) -> None:
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


def _add(
    commands: Subparsers, name: str, handler: Handler, text: str, scope: bool = False
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=text, description=text)
    if scope:
        parser.add_argument("scope", help="a service name, or common")
        parser.add_argument("-d", "--destination", help="destination (default: none)")
    parser.set_defaults(handler=handler)
    return parser


def _root(args: argparse.Namespace) -> Path:
    root: Path | None = getattr(args, "root", None)
    return root.resolve() if root else find_root(Path.cwd())


def _home(environ: dict[str, str]) -> Path:
    return Path(environ["HOME"]) if environ.get("HOME") else Path.home()


def _identity(environ: dict[str, str]) -> Identity:
    return load_identity(environ, _home(environ))


def _keygen(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    if args.output == "-":
        from kamalpy.secrets.age import AgeIdentity

        identity = AgeIdentity.generate()
        console.result(f"# public key: {identity.recipient()}\n{identity.encode()}")
        return ExitCode.OK
    path = Path(args.output) if args.output else identity_path(environ, _home(environ))
    identity = write_new_identity(path, stamp)
    console.info(f"wrote {path} (mode 0600); your public key:")
    console.result(str(identity.recipient()))
    return ExitCode.OK


def _init(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = _root(args)
    name = args.name or environ.get("USER") or "me"
    recipient = _identity(environ).recipients()[0]
    for path in members.init(root, name, recipient):
        console.info(f"wrote {path}")
    console.info(f"enable readable diffs once per clone: {members.TEXTCONV_SETUP}")
    return ExitCode.OK


def _edit(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root, who = _root(args), _identity(environ)
    new = _is_new(root, args)
    code = run_edit(args, console, environ, root, who)
    _say_readers(console, root, args, new)
    return code


def _is_new(root: Path, args: argparse.Namespace) -> bool:
    return not secrets_path(root, file_identity(args.scope, args.destination)).exists()


def _say_readers(console: Console, root: Path, args: argparse.Namespace, new: bool) -> None:
    """A new file follows recipients.yml: say who can read it, so a stranger there is seen."""
    identity = file_identity(args.scope, args.destination)
    path = secrets_path(root, identity)
    if new and path.exists():
        readers = load_policy(root).recipients_for(identity)
        names = ", ".join(f"{name} ({key})" for name, key in readers)
        console.info(f"{display(root, path)}: new file, readable by {names}")


def read_value(prompt: str, keep_newline: bool) -> str:
    """A value from a hidden prompt on a terminal, else all of stdin (never from argv)."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("the value on stdin is not UTF-8 text") from None
    if not keep_newline and text.endswith("\n"):
        text = text[:-1]
    return text


def _set(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    identity, root = _identity(environ), _root(args)
    new = _is_new(root, args)
    value = read_value(f"{args.name}: ", args.keep_newline)
    path = api.set_secrets(root, args.scope, args.destination, {args.name: value}, identity)
    console.info(f"{display(root, path)}: set {args.name}")
    _say_readers(console, root, args, new)
    return ExitCode.OK


def _get(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    values = api.get_secrets(_root(args), args.scope, args.destination, _identity(environ))
    if args.name not in values:
        where = args.scope + (f" -d {args.destination}" if args.destination else "")
        raise SecretsError(f"no secret named {args.name} in {where}")
    sys.stdout.write(values[args.name].reveal() + ("\n" if sys.stdout.isatty() else ""))
    sys.stdout.flush()
    return ExitCode.OK


def _list(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    for name in api.list_names(_root(args), args.scope, args.destination):
        console.result(name)
    return ExitCode.OK


def _unset(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = _root(args)
    path = api.unset_secrets(root, args.scope, args.destination, args.names, _identity(environ))
    console.info(f"{display(root, path)}: removed {', '.join(args.names)}")
    return ExitCode.OK


def _rotate(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = _root(args)
    path = api.rotate(root, args.scope, args.destination, _identity(environ))
    console.info(f"{display(root, path)}: new data key, every value re-encrypted")
    return ExitCode.OK


def _verify(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    identity: Identity | None = None
    try:
        identity = _identity(environ)
    except SecretsError as error:
        console.warn(f"{error.message}: checking structure and recipients only, not the MACs")
    report = members.verify(_root(args), identity)
    for problem in report.problems:
        console.error(problem)
    for path in report.structure_only:
        console.info(f"{path}: structure and recipients only (no identity that can open it)")
    for path in report.verified:
        console.info(f"{path}: verified (MAC and every value)")
    summary = (
        f"secrets: {len(report.verified)} file(s) verified, {len(report.structure_only)} "
        f"checked for structure only, {len(report.problems)} problem(s)"
    )
    if report.problems:
        console.error(summary)
        return ExitCode.BAD_INPUT
    if report.structure_only and not args.structure_only:
        console.error(summary)
        console.error(
            "not every MAC was checked: give an identity that can open every file "
            "(KAMALPY_IDENTITY in CI), or pass --structure-only"
        )
        return ExitCode.BAD_INPUT
    console.info(summary)
    return ExitCode.OK


# `B=$KAMALPY_IDENTITY` or `${KAMALPY_IDENTITY}` in a dotenv file
_IDENTITY_REFERENCE = re.compile(rf"\$\{{?{IDENTITY_ENV}\b")


def _import(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{args.file}: cannot read: {error.strerror}") from None
    identity = _identity(environ)
    if match := _IDENTITY_REFERENCE.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise UsageError(
            f"{args.file}:{line}: refers to ${IDENTITY_ENV}, the private key that opens the "
            "store; kamalpy never stores it as a secret"
        )
    # neither `$(…)` commands nor the values see the identity
    child_environ = {k: v for k, v in environ.items() if k != IDENTITY_ENV}
    values = parse_dotenv(text, str(args.file), child_environ, capture_shell)
    root = _root(args)
    new = _is_new(root, args)
    path = api.set_secrets(root, args.scope, args.destination, values, identity)
    console.info(f"{display(root, path)}: imported {', '.join(sorted(values)) or 'nothing'}")
    _say_readers(console, root, args, new)
    return ExitCode.OK


def _textconv(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    text = args.file.read_text(encoding="utf-8", errors="replace")
    sys.stdout.write(textconv(text, str(args.file)))
    return ExitCode.OK


def _recipients_list(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    for member in load_policy(_root(args)).members:
        console.result(f"{member.name}  {member.key}  {', '.join(member.access)}")
    return ExitCode.OK


def _report(console: Console, changes: list[members.Change]) -> None:
    for change in changes:
        console.info(f"{change.path}: {change.action}")


def _recipients_add(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root, identity = _root(args), _identity(environ)
    _report(console, members.add_recipient(root, args.name, args.key, args.access, identity))
    return ExitCode.OK


def _recipients_remove(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root, identity = _root(args), _identity(environ)
    changes = members.remove_recipient(root, args.name, identity)
    _report(console, changes)
    if changes:
        console.warn(
            f"{args.name} could read the values in {', '.join(c.path for c in changes)}; "
            "a new data key does not un-share them: change those passwords and tokens too"
        )
    return ExitCode.OK


def _recipients_sync(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = _root(args)
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
    _report(console, members.sync(root, _identity(environ), pending))
    return ExitCode.OK
