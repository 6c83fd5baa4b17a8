"""Where the kit's sessions find kamalpy, and each service's own test environment.

One environment serves every kamalpy session (made once, remade only when what it installs
changes), so `nox -s deploy` costs nox's start-up and kamalpy's, not an install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import nox

STAMP = "kamalpy-install.json"
DEFAULT_INSTALL = ("kamalpy",)


def runs_here() -> bool:
    """True when nox's own interpreter can run kamalpy (installed with its dependencies)."""
    return all(importlib.util.find_spec(m) is not None for m in ("kamalpy", "yaml", "cryptography"))


def fingerprint(install: Sequence[str], root: Path) -> str:
    """What the environment holds: the pip arguments, and the pyproject.toml of local paths."""
    parts = list(install)
    for arg in install:
        pyproject = root / arg / "pyproject.toml"
        if not arg.startswith("-") and pyproject.is_file():
            parts.append(hashlib.sha256(pyproject.read_bytes()).hexdigest())
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class ToolEnv:
    """The shared kamalpy environment `.nox/<prefix>kamalpy` (or nox's own interpreter)."""

    def __init__(self, prefix: str, install: Sequence[str] | None) -> None:
        self.prefix = prefix
        self.install = tuple(install) if install is not None else None
        self._argv: tuple[str, ...] | None = None

    def location(self) -> Path:
        """The shared environment's directory."""
        return Path(".nox") / f"{self.prefix}kamalpy"

    def argv(self, session: nox.Session) -> tuple[str, ...]:
        """How to run kamalpy: `python -m kamalpy` of this interpreter or the shared env."""
        if self._argv is None:
            if self.install is None and runs_here():
                self._argv = (sys.executable, "-m", "kamalpy")
            else:
                self._argv = (str(self._ensure(session) / "bin" / "kamalpy"),)
        return self._argv

    def _ensure(self, session: nox.Session) -> Path:
        env = self.location().resolve()
        install = self.install or DEFAULT_INSTALL
        wanted = fingerprint(install, Path.cwd())
        stamp = env / STAMP
        ready = (env / "bin" / "kamalpy").exists() and stamp.is_file()
        if ready and json.loads(stamp.read_text()).get("fingerprint") == wanted:
            return env
        session.log(f"installing kamalpy into the shared environment {self.location()}")
        uv = shutil.which("uv")
        if uv:
            session.run(uv, "venv", "-q", "--allow-existing", "--python", sys.executable,
                        str(env), external=True)  # fmt: skip
            session.run(uv, "pip", "install", "-q", "--python", str(env / "bin" / "python"),
                        *install, external=True)  # fmt: skip
        else:
            session.run(sys.executable, "-m", "venv", str(env), external=True)
            session.run(str(env / "bin" / "python"), "-m", "pip", "install", "-q", *install,
                        external=True)  # fmt: skip
        stamp.write_text(json.dumps({"fingerprint": wanted, "install": list(install)}))
        return env

    def run_service_tests(self, session: nox.Session, name: str, args: Sequence[str]) -> None:
        """`pytest` in services/NAME with its own pyproject's `test` group, in its own venv."""
        folder = Path("services") / name
        if not (folder / "pyproject.toml").is_file():
            session.warn(f"{name}: no services/{name}/pyproject.toml, no tests to run")
            return
        uv = shutil.which("uv")
        if uv is None:
            session.error("the test session needs uv on PATH (pip install uv)")
        venv = (Path(".nox") / f"{self.prefix}test-{name}").resolve()
        session.log(f"== {name}: its own tests, in {venv}")
        env = {"UV_PROJECT_ENVIRONMENT": str(venv), "VIRTUAL_ENV": str(venv)}
        session.run(uv, "run", "-q", "--directory", str(folder), "--group", "test",
                    "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *args,
                    env={**os.environ, **env}, external=True)  # fmt: skip
