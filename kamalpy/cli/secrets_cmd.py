"""`kamalpy secrets …`: keygen, init, edit, set/get/list/unset, rotate, recipients, verify."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from kamalpy.cli.output import Console
from kamalpy.cli.secrets_common import (
    Subparsers,
    home_of,
    identity_of,
    repo_root,
)
from kamalpy.cli.secrets_common import (
    add_command as _add,
)
from kamalpy.cli.secrets_edit import run_edit
from kamalpy.cli.secrets_recipients import register_recipients
from kamalpy.errors import ExitCode, SecretsError, UsageError
from kamalpy.executor.interactive import capture_shell
from kamalpy.secrets import api, members
from kamalpy.secrets.dotenv import parse_dotenv
from kamalpy.secrets.identity import IDENTITY_ENV, Identity, identity_path, write_new_identity
from kamalpy.secrets.store import display, file_identity, load_policy, secrets_path
from kamalpy.secrets.textconv import textconv


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
    register_recipients(commands)


def _keygen(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    if args.output == "-":
        from kamalpy.secrets.age import AgeIdentity

        identity = AgeIdentity.generate()
        console.result(f"# public key: {identity.recipient()}\n{identity.encode()}")
        return ExitCode.OK
    path = Path(args.output) if args.output else identity_path(environ, home_of(environ))
    identity = write_new_identity(path, stamp)
    console.info(f"wrote {path} (mode 0600); your public key:")
    console.result(str(identity.recipient()))
    return ExitCode.OK


def _init(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = repo_root(args)
    name = args.name or environ.get("USER") or "me"
    recipient = identity_of(environ).recipients()[0]
    for path in members.init(root, name, recipient):
        console.info(f"wrote {path}")
    console.info(f"enable readable diffs once per clone: {members.TEXTCONV_SETUP}")
    return ExitCode.OK


def _edit(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root, who = repo_root(args), identity_of(environ)
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
    identity, root = identity_of(environ), repo_root(args)
    new = _is_new(root, args)
    value = read_value(f"{args.name}: ", args.keep_newline)
    path = api.set_secrets(root, args.scope, args.destination, {args.name: value}, identity)
    console.info(f"{display(root, path)}: set {args.name}")
    _say_readers(console, root, args, new)
    return ExitCode.OK


def _get(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    values = api.get_secrets(repo_root(args), args.scope, args.destination, identity_of(environ))
    if args.name not in values:
        where = args.scope + (f" -d {args.destination}" if args.destination else "")
        raise SecretsError(f"no secret named {args.name} in {where}")
    sys.stdout.write(values[args.name].reveal() + ("\n" if sys.stdout.isatty() else ""))
    sys.stdout.flush()
    return ExitCode.OK


def _list(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    for name in api.list_names(repo_root(args), args.scope, args.destination):
        console.result(name)
    return ExitCode.OK


def _unset(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = repo_root(args)
    path = api.unset_secrets(root, args.scope, args.destination, args.names, identity_of(environ))
    console.info(f"{display(root, path)}: removed {', '.join(args.names)}")
    return ExitCode.OK


def _rotate(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    root = repo_root(args)
    path = api.rotate(root, args.scope, args.destination, identity_of(environ))
    console.info(f"{display(root, path)}: new data key, every value re-encrypted")
    return ExitCode.OK


def _verify(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    identity: Identity | None = None
    try:
        identity = identity_of(environ)
    except SecretsError as error:
        console.warn(f"{error.message}: checking structure and recipients only, not the MACs")
    report = members.verify(repo_root(args), identity)
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
    identity = identity_of(environ)
    if match := _IDENTITY_REFERENCE.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise UsageError(
            f"{args.file}:{line}: refers to ${IDENTITY_ENV}, the private key that opens the "
            "store; kamalpy never stores it as a secret"
        )
    # neither `$(…)` commands nor the values see the identity
    child_environ = {k: v for k, v in environ.items() if k != IDENTITY_ENV}
    values = parse_dotenv(text, str(args.file), child_environ, capture_shell)
    root = repo_root(args)
    new = _is_new(root, args)
    path = api.set_secrets(root, args.scope, args.destination, values, identity)
    console.info(f"{display(root, path)}: imported {', '.join(sorted(values)) or 'nothing'}")
    _say_readers(console, root, args, new)
    return ExitCode.OK


def _textconv(args: argparse.Namespace, console: Console, environ: dict[str, str]) -> int:
    text = args.file.read_text(encoding="utf-8", errors="replace")
    sys.stdout.write(textconv(text, str(args.file)))
    return ExitCode.OK
