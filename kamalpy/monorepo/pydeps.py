"""Python projects a project depends on by path, followed transitively, read from a Tree.

Locators, each small: `[tool.uv.sources]` `path` and `workspace = true` entries (a workspace
member found through the root's `[tool.uv.workspace]` by its PEP 503 name), `file:` direct
references in `[project]` dependencies, optional dependencies and dependency groups, and
`-e PATH` / `file:` / local path lines of `requirements*.txt` (following `-r`/`-c`).
Paths are posix and repo-relative ("" is the repository root).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from kamalpy.errors import ConfigError, Location
from kamalpy.monorepo.globs import below, clean, literal_prefix, whole_match, with_prefix
from kamalpy.monorepo.settings import read_toml, toml_strings, toml_table
from kamalpy.monorepo.tree import Tree

_REQUIREMENTS = re.compile(r"requirements[^/]*\.txt")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=)(\S+)")
_NAME = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*")
_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")


@dataclass(frozen=True)
class PyDep:
    """A path (directory or file) a Python project depends on, and where that is written."""

    kind: str  # "uv-path" | "uv-workspace" | "file-requirement"
    path: str  # repo-relative
    source: str  # "services/api/pyproject.toml [tool.uv.sources] common"


@dataclass
class PyIndex:
    """Parsed pyproject files, workspaces and direct dependencies, shared across services."""

    tree: Tree
    repo_root: PurePosixPath
    tomls: dict[str, dict[str, Any]] = field(default_factory=dict)
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict)  # by blob id: any tree
    members: dict[str, dict[str, str]] = field(default_factory=dict)
    direct: dict[str, tuple[PyDep, ...]] = field(default_factory=dict)

    def pyproject(self, directory: str) -> dict[str, Any] | None:
        """The parsed pyproject.toml of a directory, or None when it has none."""
        path = _join(directory, "pyproject.toml")
        if path not in self.tree:
            return None
        if path not in self.tomls:
            blob = self.tree.blob(path)
            if blob is None or blob not in self.parsed:
                document = read_toml(self.tree, path)
                if blob is None:
                    return document
                self.parsed[blob] = document
            self.tomls[path] = self.parsed[blob]
        return self.tomls[path]


def python_dependencies(index: PyIndex, project: str) -> tuple[PyDep, ...]:
    """Every path dependency of `project`, its dependencies' dependencies and so on."""
    found: list[PyDep] = []
    seen = {project}
    queue = [project]
    while queue:
        for dep in _direct(index, queue.pop(0)):
            found.append(dep)
            if dep.path not in seen:
                seen.add(dep.path)
                queue.append(dep.path)
    return tuple(found)


def _direct(index: PyIndex, directory: str) -> tuple[PyDep, ...]:
    if directory not in index.direct:
        deps = [*_pyproject_deps(index, directory), *_requirements_deps(index, directory)]
        index.direct[directory] = tuple(deps)
    return index.direct[directory]


def _pyproject_deps(index: PyIndex, directory: str) -> Iterator[PyDep]:
    document = index.pyproject(directory)
    if document is None:
        return
    where = _join(directory, "pyproject.toml")
    for owner, name, spec in _sources(index, directory, document):
        origin = f"{_join(owner, 'pyproject.toml')} [tool.uv.sources] {name}"
        for entry in spec if isinstance(spec, list) else [spec]:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("path"), str):
                target = _resolve(index, owner, entry["path"])
                if target is not None:
                    yield PyDep("uv-path", target, origin)
            elif entry.get("workspace") is True:
                yield PyDep("uv-workspace", _member(index, owner, name, origin), origin)
    for key, requirement in _requirements_of(document):
        target = _file_reference(index, directory, requirement)
        if target is not None:
            yield PyDep("file-requirement", target, f"{where} {key}")


def _sources(
    index: PyIndex, directory: str, document: dict[str, Any]
) -> Iterator[tuple[str, str, Any]]:
    """(directory its paths are relative to, name, spec) of each source the project uses."""
    # Its own `[tool.uv.sources]`, then the workspace root's, which uv applies to every
    # member for the dependencies the member names but does not source itself.
    own = toml_table(document, "tool", "uv", "sources")
    for name, spec in own.items():
        yield directory, name, spec
    root = _workspace_root(index, directory)
    if root is None or root == directory:
        return
    named = {
        normalize(m.group(0).strip())
        for _, r in _requirements_of(document)
        if (m := _NAME.match(r))
    }
    mine = {normalize(name) for name in own}
    for name, spec in toml_table(index.pyproject(root) or {}, "tool", "uv", "sources").items():
        if normalize(name) in named - mine:
            yield root, name, spec


def _requirements_of(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    project = toml_table(document, "project")
    for requirement in toml_strings(project.get("dependencies")):
        yield "[project] dependencies", requirement
    for extra, items in toml_table(project, "optional-dependencies").items():
        for requirement in toml_strings(items):
            yield f"[project.optional-dependencies] {extra}", requirement
    for group, items in toml_table(document, "dependency-groups").items():
        for requirement in toml_strings(items):
            yield f"[dependency-groups] {group}", requirement
    uv = toml_table(document, "tool", "uv")
    for requirement in toml_strings(uv.get("dev-dependencies")):
        yield "[tool.uv] dev-dependencies", requirement


def _file_reference(index: PyIndex, directory: str, requirement: str) -> str | None:
    """`name @ file:///…` (PEP 508 direct reference) -> the repo path it names."""
    if not isinstance(requirement, str) or "@" not in requirement:
        return None
    url = requirement.split("@", 1)[1].split(";", 1)[0].strip()
    return _url_path(index, directory, url) if url.startswith("file:") else None


def _url_path(index: PyIndex, directory: str, url: str) -> str | None:
    absolute = index.repo_root / directory
    url = url.replace("${PROJECT_ROOT}", str(absolute))
    parsed = urlparse(url)
    location = unquote(parsed.path if parsed.netloc in ("", "localhost") else "")
    return _resolve(index, directory, location) if location else None


def _resolve(index: PyIndex, directory: str, path: str) -> str | None:
    """A path written in `directory` as repo-relative, or None when outside the repository."""
    if path.startswith("/"):
        try:
            relative = PurePosixPath(posixpath.normpath(path)).relative_to(index.repo_root)
        except ValueError:
            return None
        return "" if str(relative) == "." else str(relative)
    joined = posixpath.normpath(_join(directory, path))
    if joined == "..":
        return None
    return "" if joined == "." else (None if joined.startswith("../") else joined)


def _member(index: PyIndex, directory: str, name: str, origin: str) -> str:
    root = _workspace_root(index, directory)
    members = _workspace_members(index, root) if root is not None else {}
    found = members.get(normalize(name))
    if found is None:
        where = Location(origin.split(" ", 1)[0], key=f"tool.uv.sources.{name}")
        raise ConfigError([(where, f"{name!r} is not a member of a uv workspace above it")])
    return found


def _workspace_root(index: PyIndex, directory: str) -> str | None:
    current: str | None = directory
    while current is not None:
        document = index.pyproject(current)
        if document and "workspace" in toml_table(document, "tool", "uv"):
            return current
        current = None if current == "" else posixpath.dirname(current)
    return None


def _workspace_members(index: PyIndex, root: str) -> dict[str, str]:
    """Normalised project name -> member directory, for the workspace rooted at `root`."""
    if root in index.members:
        return index.members[root]
    document = index.pyproject(root) or {}
    table = toml_table(document, "tool", "uv", "workspace")
    excluded = [clean(_join(root, glob)) for glob in toml_strings(table.get("exclude"))]
    directories = {root}
    for glob in toml_strings(table.get("members")):
        pattern = clean(_join(root, glob))
        for path in below(index.tree, literal_prefix(pattern)):
            if path.endswith("/pyproject.toml"):
                candidate = path[: -len("/pyproject.toml")]
                if whole_match(pattern, candidate):
                    directories.add(candidate)
    members: dict[str, str] = {}
    for candidate in sorted(directories):
        if any(whole_match(glob, candidate) for glob in excluded):
            continue
        project = toml_table(index.pyproject(candidate) or {}, "project")
        if isinstance(project.get("name"), str):
            members[normalize(project["name"])] = candidate
    index.members[root] = members
    return members


def normalize(name: str) -> str:
    """A project name per PEP 503: lower case, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements_deps(index: PyIndex, directory: str) -> Iterator[PyDep]:
    for path in with_prefix(index.tree, _join(directory, "requirements")):
        name = path[len(directory) + 1 :] if directory else path
        if _REQUIREMENTS.fullmatch(name):
            yield from _requirement_file(index, path, directory, {path})


def _requirement_file(index: PyIndex, path: str, cwd: str, seen: set[str]) -> Iterator[PyDep]:
    """Path lines of one requirements file, following `-r`/`-c` includes."""
    # As pip and uv read them: `-r`/`-c` are relative to the file naming them, local paths
    # to the directory the install runs in (the project's own directory, `cwd`).
    for number, line in _logical_lines(index.tree.text(path)):
        included = _INCLUDE.match(line)
        if included:
            target = _resolve(index, posixpath.dirname(path), included.group(1))
            if target and target in index.tree and target not in seen:
                seen.add(target)
                yield from _requirement_file(index, target, cwd, seen)
            continue
        editable = _EDITABLE.match(line)
        word = editable.group(1) if editable else line.split(";", 1)[0].strip()
        target = _requirement_path(index, cwd, word)
        if target is not None:
            yield PyDep("file-requirement", target, f"{path}:{number}")


def _requirement_path(index: PyIndex, base: str, word: str) -> str | None:
    if "@" in word and not word.startswith(("file:", ".", "/")):
        word = word.split("@", 1)[1].strip()
    if word.startswith("file:"):
        return _url_path(index, base, word)
    if word.startswith((".", "/")):
        return _resolve(index, base, word.split("[", 1)[0])
    return None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with `\\` continuations joined and `#` comments dropped."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            yield start, joined


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name
