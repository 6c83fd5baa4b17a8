"""Where one service's build reads from, as repo-relative paths of a Tree."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kamalpy.config.model import Configuration
from kamalpy.errors import ConfigError, Location
from kamalpy.monorepo.globs import Ignore, parse_ignore
from kamalpy.monorepo.tree import Tree


@dataclass(frozen=True)
class BuildPaths:
    """Repo-relative paths of one service's build ("" is the repository root)."""

    config_file: str  # services/api/deploy.yml
    service_dir: str
    context: str
    dockerfile: str
    ignore_file: str | None  # BuildKit's <Dockerfile>.dockerignore, else <context>/.dockerignore
    ignore: Ignore

    @classmethod
    def of(cls, config: Configuration, repo_root: Path, tree: Tree) -> BuildPaths:
        """The paths of `config`'s build; ConfigError when one lies outside the repository."""
        config_file = relative(config.path, repo_root, str(config.path), "")
        service_dir = relative(config.root, repo_root, config_file, "")
        builder = config.builder
        root = config.root
        context = relative(
            root / (builder.context or "."), repo_root, config_file, "builder/context"
        )
        dockerfile = relative(
            root / builder.dockerfile, repo_root, config_file, "builder/dockerfile"
        )
        candidates = (f"{dockerfile}.dockerignore", join(context, ".dockerignore"))
        ignore_file = next((p for p in candidates if p in tree), None)
        ignore = parse_ignore(tree.text(ignore_file)) if ignore_file else Ignore()
        return cls(config_file, service_dir, context, dockerfile, ignore_file, ignore)

    def in_context(self, path: str) -> str | None:
        """`path` relative to the build context, or None when outside it."""
        if not self.context:
            return path
        prefix = self.context + "/"
        return path[len(prefix) :] if path.startswith(prefix) else None

    def sent(self, paths: Iterable[str]) -> Iterator[str]:
        """The paths minus those the context's .dockerignore leaves out of the build."""
        if not self.ignore.rules:
            yield from paths
            return
        for path in paths:
            inside = self.in_context(path)
            if inside is None or not self.ignore.excludes(inside):
                yield path

    def deploy_files(self, tree: Tree) -> Iterator[str]:
        """The service's deploy.yml and deploy.<destination>.yml: runtime, never image inputs."""
        directory, name = posixpath.split(self.config_file)
        stem, _, suffix = name.rpartition(".")
        for path in tree.under(directory):
            rest = path[len(directory) + 1 :] if directory else path
            overlay = rest.startswith(f"{stem}.") and rest.endswith(f".{suffix}")
            if rest == name or ("/" not in rest and overlay):
                yield path


def relative(path: Path, repo_root: Path, where: str, key: str) -> str:
    """`path` (absolute, may hold `..`) relative to the repository root, posix; "" for the root."""
    normal = PurePosixPath(posixpath.normpath(path.as_posix()))
    root = PurePosixPath(posixpath.normpath(repo_root.as_posix()))
    try:
        inside = normal.relative_to(root)
    except ValueError:
        message = f"{normal} is outside the repository {root}: kamalpy cannot track its files"
        raise ConfigError([(Location(where, key=key or None), message)]) from None
    return "" if str(inside) == "." else str(inside)


def join(directory: str, name: str) -> str:
    """A repo-relative path below `directory` ("" is the root)."""
    return f"{directory}/{name}" if directory else name
