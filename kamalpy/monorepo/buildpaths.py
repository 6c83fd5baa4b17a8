"""Where one service's build reads from, as repo-relative paths of a Tree."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kamalpy.config.model import Configuration
from kamalpy.errors import ConfigError, Location
from kamalpy.monorepo.globs import Ignore, parse_ignore, with_prefix
from kamalpy.monorepo.tree import Tree

Decisions = dict[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class BuildPaths:
    """Repo-relative paths of one service's build ("" is the repository root)."""

    config_file: str  # services/api/deploy.yml
    service_dir: str
    context: str
    dockerfile: str
    ignore_file: str | None  # BuildKit's <Dockerfile>.dockerignore, else <context>/.dockerignore
    ignore: Ignore
    runtime: tuple[str, ...]  # path prefixes of the service's hooks and Kamal secrets files
    # paths asked -> paths sent, shared by the builds with the same context and ignore file
    decisions: Decisions = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        config: Configuration,
        repo_root: Path,
        tree: Tree,
        shared: dict[tuple[str, str | None], Decisions] | None = None,
    ) -> BuildPaths:
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
        decisions = {} if shared is None else shared.setdefault((context, ignore_file), {})
        runtime = tuple(
            posixpath.normpath(join(service_dir, name)) + tail
            for name, tail in ((config.hooks_path, "/"), (config.secrets_path, ""))
            if not name.startswith("/")
        )
        return cls(
            config_file, service_dir, context, dockerfile, ignore_file, ignore, runtime, decisions
        )

    def sent(self, paths: Sequence[str]) -> tuple[str, ...]:
        """The paths minus those the context's .dockerignore leaves out of the build."""
        paths = tuple(paths)
        if not self.ignore.rules:
            return paths
        kept = self.decisions.get(paths)
        if kept is None:
            prefix = self.context + "/" if self.context else ""
            inside = [p[len(prefix) :] for p in paths if p.startswith(prefix)]
            out = set(inside).difference(self.ignore.keep(inside))
            kept = tuple(
                p for p in paths if not p.startswith(prefix) or p[len(prefix) :] not in out
            )
            self.decisions[paths] = kept
        return kept

    def runtime_files(self, tree: Tree) -> Iterator[str]:
        """Files that only configure deploys, never image inputs: the service's deploy.yml,
        deploy.<destination>.yml, hooks and Kamal-style `.kamal/secrets*` files."""
        for prefix in self.runtime:
            yield from with_prefix(tree, prefix)
        directory, name = posixpath.split(self.config_file)
        stem, _, suffix = name.rpartition(".")
        for path in with_prefix(tree, join(directory, stem + ".")):
            rest = path[len(directory) + 1 :] if directory else path
            if rest == name or ("/" not in rest and rest.endswith(f".{suffix}")):
                yield path


def relative(path: Path, repo_root: Path, where: str, key: str) -> str:
    """`path` (absolute, may hold `..`) relative to the repository root, posix; "" for the root."""
    normal = posixpath.normpath(path.as_posix())
    root = posixpath.normpath(repo_root.as_posix())
    if normal == root:
        return ""
    if root == "/" or normal.startswith(root + "/"):
        return normal[len(root.rstrip("/")) + 1 :]
    message = f"{normal} is outside the repository {root}: kamalpy cannot track its files"
    raise ConfigError([(Location(where, key=key or None), message)])


def join(directory: str, name: str) -> str:
    """A repo-relative path below `directory` ("" is the root)."""
    return f"{directory}/{name}" if directory else name
