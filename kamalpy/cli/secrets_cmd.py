"""`kamalpy secrets …`: keygen, init, edit, set/get/list/unset, rotate, recipients, verify."""

from __future__ import annotations

import argparse
import getpass
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TypeAlias

from kamalpy.cli.output import Console
from kamalpy.errors import ExitCode, SecretsError, UsageError
from kamalpy.executor.interactive import capture_shell, run_editor
from kamalpy.secrets import api, members
from kamalpy.secrets.dotenv import parse_dotenv
from kamalpy.secrets.edit import edit_secrets
from kamalpy.secrets.identity import Identity, identity_path, load_identity, write_new_identity
from kamalpy.secrets.store import display, find_root, load_policy
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
    _add(commands, "verify", _verify, "check every file (the MAC too with an identity)")
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
    _add(sub, "sync", _recipients_sync, "re-wrap files after editing recipients.yml by hand")


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


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like ^C, so `finally` blocks remove plaintext before exit."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _editor(environ: dict[str, str]) -> list[str]:
    command = environ.get("VISUAL") or environ.get("EDITOR") or "vi"
    argv = shlex.split(command)
    if not argv:
        raise UsageError("$VISUAL/$EDITOR is empty")
    return argv


def _edit(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    editor = _editor(environ)
    with _signals_interrupt():
        result = edit_secrets(
            _root(args),
            args.scope,
            args.destination,
            _identity(environ),
            lambda path: run_editor(editor, path),
        )
    if not (result.added or result.changed or result.removed):
        console.info(f"{result.path}: no changes")
        return ExitCode.OK
    for label, names in (("added", result.added), ("changed", result.changed)):
        if names:
            console.info(f"{result.path}: {label} {', '.join(names)}")
    if result.removed:
        console.info(f"{result.path}: removed {', '.join(result.removed)}")
    return ExitCode.OK


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
    identity = _identity(environ)
    value = read_value(f"{args.name}: ", args.keep_newline)
    path = api.set_secrets(_root(args), args.scope, args.destination, {args.name: value}, identity)
    console.info(f"{display(_root(args), path)}: set {args.name}")
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
    try:
        identity: Identity | None = _identity(environ)
    except SecretsError:
        identity = None
        console.warn("no identity: checking structure only, not the MACs")
    problems = members.verify(_root(args), identity)
    for problem in problems:
        console.error(problem)
    if problems:
        return ExitCode.BAD_INPUT
    console.info("secrets: all files verified" + ("" if identity else " (structure only)"))
    return ExitCode.OK


def _import(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{args.file}: cannot read: {error.strerror}") from None
    identity = _identity(environ)
    values = parse_dotenv(text, str(args.file), environ, capture_shell)
    root = _root(args)
    path = api.set_secrets(root, args.scope, args.destination, values, identity)
    console.info(f"{display(root, path)}: imported {', '.join(sorted(values)) or 'nothing'}")
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
    _report(console, members.sync(_root(args), _identity(environ)))
    return ExitCode.OK
