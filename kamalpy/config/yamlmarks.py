"""YAML to plain Python values, remembering where (file, line, column) every key and value was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from kamalpy.errors import ConfigError, Location

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based position in a file."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Marks:
    """Where each key path's key and value were written (key == value mark for list items)."""

    keys: dict[KeyPath, Mark]
    values: dict[KeyPath, Mark]

    def location(self, path: KeyPath, *, at_key: bool = False, file: str = "") -> Location:
        """A Location for `path`, falling back to its nearest marked ancestor, then the file."""
        table = self.keys if at_key else self.values
        for depth in range(len(path), -1, -1):
            mark = table.get(path[:depth]) or self.values.get(path[:depth])
            if mark:
                return Location(mark.file, mark.line, mark.column, format_path(path) or None)
        return Location(file, None, None, format_path(path) or None)


def format_path(path: KeyPath) -> str:
    """`servers/web/hosts/0` from ("servers", "web", "hosts", 0)."""
    return "/".join(str(part) for part in path)


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Walks a composed node tree, building values and recording marks."""

    def __init__(
        self, file: str, loader: yaml.SafeLoader, warn: Callable[[str], None] | None
    ) -> None:
        self.file = file
        self.loader = loader
        self.warn = warn
        self.keys: dict[KeyPath, Mark] = {}
        self.values: dict[KeyPath, Mark] = {}

    def duplicates(self, node: yaml.MappingNode, path: KeyPath) -> None:
        """Warn about a key written twice in one mapping (Kamal takes the last one silently)."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue  # `<<: *anchor` keys are meant to be overridden
            key = self.loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen and self.warn:
                where = format_path((*path, str(key)))
                self.warn(
                    f"{self.file}:{line}: {where} is given twice (lines {seen[key]} and {line}); "
                    "the last one wins, as in Kamal"
                )
            seen[key] = line

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.values[path] = _mark(self.file, node)
        if isinstance(node, yaml.MappingNode):
            self.duplicates(node, path)
            self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                key = key if isinstance(key, str | int | bool | float) or key is None else str(key)
                child = (*path, str(key) if not isinstance(key, str) else key)
                self.keys[child] = _mark(self.file, key_node)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


# libyaml parses ~10x faster (a monorepo plan reads hundreds of files); the pure-Python
# parser still reads a file libyaml rejects, so syntax errors keep one wording everywhere.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def parse_yaml(
    text: str, file: str, warn: Callable[[str], None] | None = None
) -> tuple[Any, Marks]:
    """Parse one YAML document; a syntax error becomes a ConfigError at its line and column.

    `warn` receives one line per key given twice in a mapping.
    """
    if _FAST_LOADER is not None:
        heard: list[str] = []  # said only if this parse is the one kept
        try:
            parsed = _parse(_FAST_LOADER(text), file, heard.append)
        except (ConfigError, yaml.YAMLError):
            pass
        else:
            if warn is not None:
                for line in heard:
                    warn(line)
            return parsed
    try:
        loader = yaml.SafeLoader(text)  # checks the characters already
    except yaml.YAMLError as error:
        raise ConfigError(
            [(Location(file), "YAML syntax: " + " ".join(str(error).split()))]
        ) from None
    return _parse(loader, file, warn)


def _parse(
    loader: yaml.SafeLoader, file: str, warn: Callable[[str], None] | None
) -> tuple[Any, Marks]:
    try:
        node = loader.get_single_node()
        builder = _Builder(file, loader, warn)
        data = builder.build(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError([(Location(file, line, column), f"YAML syntax: {problem}")]) from None
    except yaml.YAMLError as error:
        raise ConfigError(
            [(Location(file), "YAML syntax: " + " ".join(str(error).split()))]
        ) from None
    except RecursionError:
        raise ConfigError([(Location(file), "YAML nests too deeply")]) from None
    finally:
        loader.dispose()
    return data, Marks(builder.keys if node is not None else {}, builder.values if node else {})


def deep_merge(base: Any, overlay: Any) -> Any:
    """Overlay over base: mappings merge key by key, everything else (lists too) replaces."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return overlay


def merge_marks(base: Marks, overlay: Marks) -> Marks:
    """Marks of a merged document: the overlay's marks win where both have a path."""
    return Marks({**base.keys, **overlay.keys}, {**base.values, **overlay.values})
