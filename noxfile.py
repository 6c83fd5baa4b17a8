"""Developer sessions for kamalpy itself: tests, lint, and the test bed."""

from __future__ import annotations

import nox

# Reuse environments so a repeated run does not reinstall everything; uv when present.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run unit and integration tests (integration needs root and docker); args go to pytest."""
    session.install("-e", ".[test]")
    # Exit code 5 means "no tests collected" (e.g. a -k filter): not a failure.
    session.run("pytest", *session.posargs, success_codes=[0, 5])


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, mypy --strict on kamalpy/, and the layer contract."""
    session.install("-e", ".[lint,test]")
    session.run("ruff", "check", "kamalpy", "tests", "noxfile.py", "bench")
    session.run("ruff", "format", "--check", "kamalpy", "tests", "noxfile.py", "bench")
    session.run("mypy", "kamalpy")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def testbed(session: nox.Session) -> None:
    """Bring the multi-host test bed up or down by hand: nox -s testbed -- up|down|status."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.testbed", *(session.posargs or ["status"]))
