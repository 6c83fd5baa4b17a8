"""Developer sessions for kamalpy itself (demo, tests, lint, test bed), and kamalpy's own nox
kit for the example monorepo at this repository's top level (services/, libs/, secrets/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

# The kit comes from this checkout (nox itself may run from anywhere, e.g. pipx).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import kamalpy.nox

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
    """Deploy the example monorepo here, then change libs/common (`-- --remove` removes it)."""
    _ensure_demo_host(session)
    session.install("-e", ".[demo]")
    session.run("kamalpy", "demo", *session.posargs)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=60)
    return done.returncode == 0


def _ensure_demo_host(session: nox.Session) -> None:
    """A running Docker engine, installed and started by scripts/bootstrap-host when root."""
    if _docker_answers():
        return
    if os.geteuid() != 0:
        session.error(
            "the demo needs a running Docker engine: as root run "
            "`scripts/bootstrap-host --demo` (Debian), or install and start docker.io"
        )
    session.run("bash", "scripts/bootstrap-host", "--demo", external=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run unit and integration tests (integration needs root and docker); args go to pytest."""
    session.install("-e", ".[test]")
    # The whole suite runs on one worker per core plus one, each with its own bed: the tests wait
    # on real servers much of the time (two workers on two cores kept the cores about half busy).
    # A module stays on one worker (its module-scoped fixtures, e.g. one monorepo deployed step
    # by step, need that); tests/conftest.py hands out the longest modules first.
    count = min(4, (os.cpu_count() or 1) + 1)
    workers = [] if session.posargs else ["-n", str(count), "--dist", "loadfile"]
    # Exit code 5 ("no tests collected") is a broken collection unless the arguments chose the
    # tests, where an empty choice (a -k that matches nothing) is the caller's business.
    # On ^C give pytest time to tear the test bed down before nox escalates to SIGKILL.
    codes = [0, 5] if selects_tests(session.posargs) else [0]
    session.run("pytest", *workers, *session.posargs, success_codes=codes, **BED_TIMEOUTS)


# pytest options that narrow which tests run (their value may be joined: -kfoo, --lf).
_SELECTING = ("-k", "-m", "--deselect", "--lf", "--last-failed", "--sw", "--stepwise", "--pyargs")


def selects_tests(posargs: list[str]) -> bool:
    """True when pytest arguments name tests (a path, a node id, -k, -m...), not just options."""
    for arg in posargs:
        if arg.startswith(_SELECTING):
            return True
        if not arg.startswith("-") and Path(arg.split("::")[0]).exists():
            return True
    return False


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, ruff format --check, mypy --strict, the layer contract, shellcheck on host scripts."""
    session.install("-e", ".[lint,test]")
    session.run("ruff", "check", "kamalpy", "tests", "noxfile.py", "bench")
    session.run("ruff", "format", "--check", "kamalpy", "tests", "noxfile.py", "bench")
    session.run("mypy", "kamalpy")
    session.run("lint-imports")
    # Every sh -c script kamalpy sends to hosts, through shellcheck (a Debian package).
    session.run("python", "-m", "tests.support.host_scripts")


@nox.session(python=PYTHON, default=False)
def mutants(session: nox.Session) -> None:
    """Mutation scores (mutmut): `-- commands plan rules secrets`, or `-- listed` (issue 15's)."""
    session.install("-e", ".[test]", "mutmut>=3.8,<4")
    chosen = session.posargs or ["listed", "commands", "plan", "rules", "secrets"]
    if "listed" in chosen:
        session.run("python", "-m", "tests.mutants.listed")
    packages = [name for name in chosen if name != "listed"]
    if packages:  # one package at a time, one core, at low priority (see docs/testing.md)
        session.run("python", "-m", "tests.mutants.score", *packages)


@nox.session(python=PYTHON)
def testbed(session: nox.Session) -> None:
    """Bring the multi-host test bed up or down by hand: nox -s testbed -- up|down|status."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.testbed", *(session.posargs or ["status"]), **BED_TIMEOUTS)


# deploy, plan, why, build, rollback, details, secrets, test for the example monorepo, run by
# one shared environment with this checkout installed. `-d local` (this machine) unless told
# otherwise; none of them runs on a bare `nox`.
# The example's secrets are readable with the committed DEMO-ONLY key unless you name another
# (by value: git checks files out 0644, and kamalpy refuses a key file others can read).
_DEMO_KEY = Path(__file__).resolve().parent / "secrets/demo-only.identity.txt"
if not {"KAMALPY_IDENTITY", "KAMALPY_IDENTITY_FILE"} & set(os.environ):
    os.environ["KAMALPY_IDENTITY"] = next(
        line for line in _DEMO_KEY.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-")
    )
kamalpy.nox.register(destination="local", install=["-e", "."])
