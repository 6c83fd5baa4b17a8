"""`kamalpy init`: make the current git repository a kamalpy monorepo, ready for `nox -s plan`.

Writes what is missing, never overwrites: a noxfile.py using kamalpy's nox kit, a first
`services/<name>/` (deploy.yml, Dockerfile, app), and `secrets/recipients.yml` with you in it
(your key is made at ~/.config/kamalpy/identity.txt when you have none).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.cli.output import Console
from kamalpy.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers

NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# Template file -> where it goes ({name}: the service).
FILES = {
    "noxfile.py.tmpl": "noxfile.py",
    "deploy.yml.tmpl": "services/{name}/deploy.yml",
    "Dockerfile.tmpl": "services/{name}/Dockerfile",
    "app.py.tmpl": "services/{name}/app.py",
}


def register(subparsers: Subparsers) -> None:
    """Add `init [--service NAME] [--name YOU]`."""
    p = subparsers.add_parser(
        "init", help="make this git repository a kamalpy monorepo (noxfile, a service, secrets)"
    )
    p.add_argument("--service", default="web", help="the first service's name (default: web)")
    p.add_argument("--name", help="your name in secrets/recipients.yml (default: $USER)")
    p.set_defaults(handler=handle_init)


def handle_init(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Write the files that are missing and say what to do next."""
    root = _git_root(Path.cwd())
    if not NAME.match(args.service):
        raise UsageError(f"--service {args.service!r}: use lowercase letters, digits and -")
    for template, target in FILES.items():
        path = root / target.format(name=args.service)
        if path.exists():
            console.info(f"kept {path.relative_to(root)} (exists)")
            continue
        text = (resources.files("kamalpy.cli") / "templates" / template).read_text()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{name}", args.service))
        console.info(f"wrote {path.relative_to(root)}")
    _secrets(root, args.name or environ.get("USER") or "me", console, environ)
    _first_commit(root, args.service, console)
    console.result(
        "next: nox -l (the sessions), nox -s plan, nox -s deploy; "
        f"edit services/{args.service}/deploy.yml to list your servers"
    )
    return ExitCode.OK


def _first_commit(root: Path, service: str, console: Console) -> None:
    """In a repository without commits, commit what init wrote: a plan needs a revision."""
    from kamalpy.executor.base import LOCAL
    from kamalpy.executor.local import LocalExecutor

    git = ("git", "-C", str(root))
    with LocalExecutor() as executor:
        if executor.run(LOCAL, (*git, "rev-parse", "--verify", "-q", "HEAD"), check=False).ok:
            console.info("commit these files when you like: a plan compares commits")
            return
        paths = ("noxfile.py", f"services/{service}", "secrets", ".gitattributes")
        executor.run(LOCAL, (*git, "add", "--", *paths))
        done = executor.run(LOCAL, (*git, "commit", "-q", "-m", "kamalpy init"), check=False)
    if done.ok:
        console.info("committed them as the repository's first commit (kamalpy init)")
    else:
        console.warn(f"could not commit them: {done.stderr.strip()}; commit them, then plan")


def _git_root(start: Path) -> Path:
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / ".git").exists():
            return folder
    raise UsageError("not in a git repository", hint="run `git init` first, then `kamalpy init`")


def _secrets(root: Path, name: str, console: Console, environ: Mapping[str, str]) -> None:
    from kamalpy.secrets import load_identity, members
    from kamalpy.secrets.identity import identity_path, write_new_identity

    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    path = identity_path(environ, home)
    if path.exists() or environ.get("KAMALPY_IDENTITY"):
        recipient = load_identity(environ, home).recipients()[0]
    else:
        made = write_new_identity(path, datetime.now(UTC).isoformat(timespec="seconds"))
        recipient = made.recipient()
        console.info(f"wrote your key {path} (mode 0600): keep it, it decrypts your secrets")
    for written in members.init(root, name, recipient):
        console.info(f"wrote {written}")
