"""Find which deploy.yml a command means: -c FILE, -s SERVICE, Kamal's layout, or the only one."""

from __future__ import annotations

from pathlib import Path

from kamalpy.errors import UsageError

SERVICES_DIR = "services"
CONFIG_NAME = "deploy.yml"


def find_repo_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding `services/` or `.git` (else `start`)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / SERVICES_DIR).is_dir() or (directory / ".git").exists():
            return directory
    return start


def list_services(root: Path) -> tuple[str, ...]:
    """Names of `services/<name>/` directories that hold a deploy.yml, sorted."""
    base = root / SERVICES_DIR
    if not base.is_dir():
        return ()
    return tuple(sorted(d.name for d in base.iterdir() if (d / CONFIG_NAME).is_file()))


def locate_config(*, config_file: str | None, service: str | None, cwd: Path) -> Path:
    """The deploy.yml to read, shown relative to `cwd` when it lies below it."""
    if config_file:
        path = cwd / config_file
        if not path.is_file():
            raise UsageError(f"{config_file}: no such configuration file")
        return _display(path, cwd)
    root = find_repo_root(cwd)
    services = list_services(root)
    if service:
        path = root / SERVICES_DIR / service / CONFIG_NAME
        if not path.is_file():
            known = ", ".join(services) or "none found"
            raise UsageError(f"no service {service!r}: {path} does not exist (services: {known})")
        return _display(path, cwd)
    return _display(_default_config(root, services, cwd), cwd)


def _default_config(root: Path, services: tuple[str, ...], cwd: Path) -> Path:
    kamal_layout = root / "config" / CONFIG_NAME
    if kamal_layout.is_file():
        return kamal_layout
    inside = _service_containing(root, cwd.resolve())
    if inside in services:
        return root / SERVICES_DIR / inside / CONFIG_NAME
    if len(services) == 1:
        return root / SERVICES_DIR / services[0] / CONFIG_NAME
    if services:
        raise UsageError(f"several services, pick one with -s NAME: {', '.join(services)}")
    raise UsageError(
        f"no configuration found under {root}: expected services/<name>/deploy.yml or "
        "config/deploy.yml (or pass -c FILE)"
    )


def _service_containing(root: Path, cwd: Path) -> str | None:
    try:
        parts = cwd.relative_to(root / SERVICES_DIR).parts
    except ValueError:
        return None
    return parts[0] if parts else None


def _display(path: Path, cwd: Path) -> Path:
    # Resolve the directory only: a symlinked deploy.yml keeps its own name, since the
    # destination overlay (`deploy.<dest>.yml`) is found from the name as given, as in Kamal.
    path = path.parent.resolve() / path.name
    try:
        return path.relative_to(cwd.resolve())
    except ValueError:
        return path
