"""`register()`: kamalpy's sessions in a user's noxfile, all running one shared kamalpy.

Every session only calls kamalpy, so none gets its own virtualenv: kamalpy runs from nox's
own interpreter when it is installed there (`pip install kamalpy` brings nox along), else
from one environment shared by every session (`.nox/<prefix>kamalpy`), made once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nox

from kamalpy.nox import selection as sel
from kamalpy.nox.toolenv import ToolEnv

SESSIONS = ("deploy", "plan", "why", "build", "rollback", "details", "secrets", "test")

DOCS = {
    "deploy": "Deploy the changed services (-d DEST, -s SVC, --all, --dry-run, --plan FILE, -y).",
    "plan": "What a deploy would do per service, and why (-d DEST, -s SVC, --json).",
    "why": "Why SERVICE is deployed: each changed input and the rule behind it.",
    "build": "Build and push the changed services' images (-s SVC, --all), deploy nothing.",
    "rollback": "Roll SERVICE back to its previous version (-s SVC [VERSION], -d DEST).",
    "details": "The proxy and app containers of every service (-s SVC, -d DEST).",
    "secrets": "Pass everything on to `kamalpy secrets` (edit, show, recipients...).",
    "test": "Run the changed services' own tests, each in its own venv (--all, -s SVC).",
}


class Kit:
    """The registered sessions' shared settings and the way to run kamalpy."""

    def __init__(self, destination: str | None, tool: ToolEnv) -> None:
        self.destination = destination
        self.tool = tool

    def kamalpy(self, session: nox.Session, *args: str, **kwargs: Any) -> Any:
        """Run `kamalpy ARGS` in the session (from the shared environment)."""
        argv = self.tool.argv(session)
        return session.run(*argv, *args, external=True, **kwargs)

    def args(self, session: nox.Session) -> sel.Args:
        """The session's posargs, read."""
        try:
            return sel.split_args(session.posargs, self.destination)
        except ValueError as error:
            session.error(str(error))
            raise

    def plan(self, session: nox.Session, args: sel.Args) -> dict[str, Any]:
        """`kamalpy plan --json` for the selection."""
        out = self.kamalpy(session, "plan", "--json", *sel.kamalpy_selection(args), silent=True)
        document: dict[str, Any] = json.loads(out)
        return document

    def service_names(self, session: nox.Session, args: sel.Args) -> list[str]:
        """The selected services, else every service (from a plan, which also checks them)."""
        if args.services:
            return list(args.services)
        return [str(s["service"]) for s in self.plan(session, args)["services"]]


def deploy(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    chosen = (*sel.kamalpy_selection(args), *(["--all"] if args.every else []))
    if not (args.yes or args.dry_run or "--plan" in args.rest):
        if not sys.stdin.isatty():
            session.error("no terminal to confirm the deploy on: pass -y (nox -s deploy -- -y)")
        kit.kamalpy(session, "plan", *chosen)
        if input("Deploy these services? [y/N] ").strip().lower() not in ("y", "yes"):
            session.skip("not deployed")
    kit.kamalpy(session, "deploy", *chosen, *args.rest)


def plan(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    kit.kamalpy(session, "plan", *sel.kamalpy_selection(args), *args.rest)


def why(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    if not args.rest and not args.services:
        session.error("which service? nox -s why -- SERVICE")
    subjects = list(args.services) + [a for a in args.rest if not a.startswith("-")]
    flags = [a for a in args.rest if a.startswith("-")]
    for subject in subjects:
        dest = ["-d", args.destination] if args.destination else []
        kit.kamalpy(session, "why", subject, *dest, *flags)


def build(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    if args.services or args.every:
        names = kit.service_names(session, args)
    else:
        names = sel.services_to_build(kit.plan(session, args))
    if not names:
        session.log("nothing to build: every service's image is the one that runs")
    dest = ["-d", args.destination] if args.destination else []
    for name in names:
        kit.kamalpy(session, "build", *(args.rest or ("push",)), "-s", name, *dest)


def rollback(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    if len(args.services) != 1:
        session.error("roll back one service at a time: nox -s rollback -- -s SERVICE [VERSION]")
    kit.kamalpy(session, "rollback", *sel.kamalpy_selection(args), *args.rest)


def details(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    dest = ["-d", args.destination] if args.destination else []
    for name in kit.service_names(session, args):
        session.log(f"== {name}")
        kit.kamalpy(session, "details", "-s", name, *dest, *args.rest)


def secrets(kit: Kit, session: nox.Session) -> None:
    kit.kamalpy(session, "secrets", *session.posargs)


def test(kit: Kit, session: nox.Session) -> None:
    args = kit.args(session)
    if args.every and not args.services:
        names = [p.parent.name for p in sorted(Path("services").glob("*/pyproject.toml"))]
    else:
        names = sel.services_to_test(kit.plan(session, args), every=args.every,
                                     only=args.services)  # fmt: skip
    if not names:
        session.log("no service's image changed: no tests to run (--all runs every one)")
    for name in names:
        kit.tool.run_service_tests(session, name, args.rest)


ACTIONS: dict[str, Callable[[Kit, nox.Session], None]] = {
    "deploy": deploy, "plan": plan, "why": why, "build": build, "rollback": rollback,
    "details": details, "secrets": secrets, "test": test,
}  # fmt: skip


def register(
    *,
    destination: str | None = None,
    sessions: Sequence[str] = SESSIONS,
    prefix: str = "",
    install: Sequence[str] | None = None,
    services: str | None = None,
) -> list[str]:
    """Register kamalpy's sessions in the calling noxfile; returns their names.

    `destination`: the default `-d`. `sessions`: which ones. `prefix`: put before each name.
    `install`: pip arguments that install kamalpy into the shared environment (default: use
    nox's own interpreter when kamalpy is installed there, else `kamalpy` from the index).
    `services`: the services glob, which must match `[tool.kamalpy] services` (kamalpy reads it).
    """
    unknown = sorted(set(sessions) - set(SESSIONS))
    if unknown:
        raise ValueError(f"unknown kamalpy session(s) {unknown}; known: {', '.join(SESSIONS)}")
    if services is not None:
        _check_services_glob(services)
    kit = Kit(destination, ToolEnv(prefix, install))
    names = []
    for name in sessions:
        names.append(_add(kit, prefix + name, ACTIONS[name], DOCS[name]))
    return names


def _add(kit: Kit, name: str, action: Callable[[Kit, nox.Session], None], doc: str) -> str:
    def session_func(session: nox.Session) -> None:
        action(kit, session)

    session_func.__doc__ = doc
    session_func.__name__ = name.replace("-", "_")
    # default=False: a bare `nox` never deploys, builds, rolls back or even contacts a server.
    nox.session(name=name, venv_backend="none", default=False)(session_func)
    return name


def _check_services_glob(services: str) -> None:
    import tomllib

    pyproject = Path("pyproject.toml")
    table: dict[str, Any] = {}
    if pyproject.is_file():
        table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("kamalpy", {})
    configured = table.get("services", "services/*/deploy.yml")
    if services != configured:
        raise ValueError(
            f"services={services!r} differs from [tool.kamalpy] services = {configured!r} in "
            "pyproject.toml, which kamalpy reads: set it there"
        )
