"""The monorepo's own settings: `[tool.kamalpy]` in the root `pyproject.toml`, read from a Tree."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from kamalpy.errors import ConfigError, Location
from kamalpy.monorepo.tree import Tree

ROOT_PYPROJECT = "pyproject.toml"
_KEYS = ("services", "global_inputs")


@dataclass(frozen=True)
class MonorepoSettings:
    """Where services live and which files every service depends on (globs, repo-relative)."""

    services: str = "services/*/deploy.yml"
    global_inputs: tuple[str, ...] = ()


def monorepo_settings(tree: Tree) -> MonorepoSettings:
    """`[tool.kamalpy]` of the root pyproject.toml; defaults when the file or table is absent."""
    if ROOT_PYPROJECT not in tree:
        return MonorepoSettings()
    document = read_toml(tree, ROOT_PYPROJECT)
    table = toml_table(document, "tool", "kamalpy")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise _bad(f"tool.kamalpy.{unknown[0]}", f"unknown key (known: {', '.join(_KEYS)})")
    services = table.get("services", MonorepoSettings.services)
    if not isinstance(services, str) or not services.strip():
        raise _bad("tool.kamalpy.services", "should be a glob such as 'services/*/deploy.yml'")
    globs = table.get("global_inputs", [])
    if not isinstance(globs, list) or not all(isinstance(g, str) and g for g in globs):
        raise _bad("tool.kamalpy.global_inputs", "should be a list of globs (strings)")
    return MonorepoSettings(services=services, global_inputs=tuple(globs))


def read_toml(tree: Tree, path: str) -> dict[str, Any]:
    """A TOML file of the tree, parsed; a syntax error is a ConfigError naming the file."""
    try:
        return tomllib.loads(tree.text(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([(Location(path), f"invalid TOML: {error}")]) from None


def toml_table(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`document[k1][k2]...` when every step is a table, else an empty table."""
    value: Any = document
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def toml_strings(value: Any) -> list[str]:
    """The strings of a TOML array (anything else: none)."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _bad(key: str, message: str) -> ConfigError:
    return ConfigError([(Location(ROOT_PYPROJECT, key=key), message)])
