"""Developer sessions for kamalpy itself: the demo, tests, lint, and the test bed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
def demo(session: nox.Session) -> None:
    """Deploy an example service to this machine, v1 then v2 (`-- --remove` removes it)."""
    _ensure_demo_host(session)
    session.install("-e", ".[demo]")
    session.run("kamalpy", "demo", *session.posargs)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=60)
    return done.returncode == 0


def _ensure_demo_host(session: nox.Session) -> None:
    """Docker and busybox-static, installed and started by scripts/bootstrap-host when root."""
    if _docker_answers() and Path("/bin/busybox").is_file():
        return
    if os.geteuid() != 0:
        session.error(
            "the demo needs a running Docker engine and busybox-static: as root run "
            "`scripts/bootstrap-host --demo` (Debian), or install docker.io and busybox-static"
        )
    session.run("bash", "scripts/bootstrap-host", "--demo", external=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run unit and integration tests (integration needs root and docker); args go to pytest."""
    session.install("-e", ".[test]")
    # The whole suite runs on two workers, each with its own bed; a module stays on one worker
    # (its module-scoped fixtures, e.g. one monorepo deployed step by step, need that).
    workers = [] if session.posargs else ["-n", "2", "--dist", "loadfile"]
    # Exit code 5 means "no tests collected" (e.g. a -k filter): not a failure.
    # On ^C give pytest time to tear the test bed down before nox escalates to SIGKILL.
    session.run("pytest", *workers, *session.posargs, success_codes=[0, 5], **BED_TIMEOUTS)


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
