"""Developer sessions for kamalpy itself: tests, lint, and the test bed."""

from __future__ import annotations

import nox

# Reuse environments so a repeated run does not reinstall everything; uv when present.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

PYTHON = "3.11"
# nox sends SIGTERM 0.3 s after ^C and SIGKILL 0.2 s later by default; the test bed's teardown
# needs a few seconds, so wait for it.
BED_TIMEOUTS = {"interrupt_timeout": 120.0, "terminate_timeout": 30.0}


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run unit and integration tests (integration needs root and docker); args go to pytest."""
    session.install("-e", ".[test]")
    # Exit code 5 means "no tests collected" (e.g. a -k filter): not a failure.
    # On ^C give pytest time to tear the test bed down before nox escalates to SIGKILL.
    session.run("pytest", *session.posargs, success_codes=[0, 5], **BED_TIMEOUTS)


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
    session.run("python", "-m", "tests.testbed", *(session.posargs or ["status"]), **BED_TIMEOUTS)
