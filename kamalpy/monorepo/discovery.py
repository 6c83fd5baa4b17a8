"""Find the services of a monorepo: every deploy.yml the settings' glob matches."""

from __future__ import annotations

from collections.abc import Sequence

from kamalpy.config.model import Configuration
from kamalpy.errors import ConfigError, Location
from kamalpy.monorepo.globs import below, clean, literal_prefix, whole_matches
from kamalpy.monorepo.settings import MonorepoSettings
from kamalpy.monorepo.tree import Tree


def discover(tree: Tree, settings: MonorepoSettings) -> tuple[str, ...]:
    """Repo-relative paths of every deploy.yml the glob matches, sorted (empty: none)."""
    pattern = clean(settings.services)
    prefix = literal_prefix(pattern)
    if prefix == pattern:
        return (pattern,) if pattern in tree else ()
    # The whole path must match: `services/*/deploy.yml` must not pick a file below a
    # directory that happens to match, as a .dockerignore pattern would.
    return tuple(sorted(whole_matches(pattern, below(tree, prefix))))


def check_unique(configs: Sequence[tuple[str, Configuration]]) -> None:
    """ConfigError naming both files when two deploy.yml declare the same `service:`."""
    first: dict[str, str] = {}
    problems: list[tuple[Location, str]] = []
    for path, config in configs:
        name = config.service
        if name in first:
            message = f"service {name!r} is already declared by {first[name]}"
            problems.append((Location(path, key="service"), message))
        else:
            first[name] = path
    if problems:
        raise ConfigError(problems, hint="each service needs its own `service:` name")
