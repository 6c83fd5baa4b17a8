"""Check a parsed deploy.yml against the schema; returns every problem, never stops at one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from kamalpy.config.schema import Shape, expand, section_root
from kamalpy.config.yamlmarks import KeyPath

_ARTICLE = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
    "list": "a list",
    "mapping": "a mapping",
}

# Keys from Kamal 1 that Kamal 2 removed, with what to do instead. "*" matches any key.
_KAMAL1_HINTS: dict[tuple[str, ...], str] = {
    ("traefik",): "Kamal 1's `traefik` is replaced by `proxy` in Kamal 2: move host names, "
    "app_port, ssl and healthcheck under `proxy:` (kamalpy docs proxy); Traefik labels and "
    "args have no equivalent",
    ("healthcheck",): "Kamal 1's top-level `healthcheck` moved under `proxy:` in Kamal 2: use "
    "`proxy/healthcheck` (path, interval, timeout) and `proxy/app_port` for its port",
    ("builder", "multiarch"): "Kamal 1's `builder/multiarch` is gone in Kamal 2: list the "
    "architectures to build in `builder/arch` (for example `arch: [amd64, arm64]`)",
    ("stop_wait_time",): "Kamal 1's `stop_wait_time` is called `drain_timeout` in Kamal 2",
    ("primary_web_role",): "Kamal 1's `primary_web_role` is called `primary_role` in Kamal 2",
    ("servers", "*", "traefik"): "Kamal 1's per-role `traefik` is replaced by the role's "
    "`proxy:` setting in Kamal 2 (kamalpy docs role)",
    ("servers", "*", "healthcheck"): "Kamal 1's per-role `healthcheck` moved to the role's "
    "`proxy/healthcheck` in Kamal 2",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong at `path`; `at_key` points at the key itself rather than its value."""

    path: KeyPath
    message: str
    at_key: bool = False


def validate_document(data: Any) -> list[Problem]:
    """Every schema problem of a whole (merged) deploy.yml."""
    if not isinstance(data, dict):
        return [Problem((), "the file should be a mapping of keys such as service, image, servers")]
    return _check_mapping(data, section_root("configuration"), ())


def _describe(shapes: list[Shape]) -> str:
    names = dict.fromkeys(_ARTICLE[s.kind] for s in shapes)
    return " or ".join(names)


def _shape_fits(value: Any, shape: Shape) -> bool:
    if isinstance(value, dict):
        return shape.kind == "mapping"
    if isinstance(value, list):
        return shape.kind == "list"
    return shape.is_scalar


def _check(value: Any, shapes: list[Shape], path: KeyPath) -> list[Problem]:
    alternatives = expand(shapes)
    fitting = [shape for shape in alternatives if _shape_fits(value, shape)]
    if not fitting:
        return [Problem(path, f"should be {_describe(alternatives)}")]
    if isinstance(value, dict):
        # A mapping using a form's own keys (env's clear/secret/tags) is that form, as in Kamal.
        named = [shape for shape in fitting if set(map(str, value)) & set(shape.fields)]
        fitting = named or fitting
    best: list[Problem] | None = None
    best_score: tuple[int, int] = (0, 0)
    for shape in fitting:
        problems = _check_one(value, shape, path)
        if not problems:
            return []
        overlap = len(set(value) & set(shape.fields)) if isinstance(value, dict) else 0
        score = (len(problems), -overlap)
        if best is None or score < best_score:
            best, best_score = problems, score
    return best or []


def _check_one(value: Any, shape: Shape, path: KeyPath) -> list[Problem]:
    if shape.kind == "mapping":
        return _check_mapping(value, shape, path)
    if shape.kind == "list":
        problems: list[Problem] = []
        for index, item in enumerate(value):
            problems += _check(item, shape.items, (*path, index))
        return problems
    if _scalar_ok(value, shape.kind):
        return []
    return [Problem(path, f"should be {_ARTICLE[shape.kind]}")]


def _scalar_ok(value: Any, kind: str) -> bool:
    """Kamal's rule: a string may be any scalar (it calls `to_s`), an integer must be one."""
    if value is None:
        return False
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str | int | float | bool)


def _check_mapping(value: dict[Any, Any], shape: Shape, path: KeyPath) -> list[Problem]:
    problems: list[Problem] = []
    for raw_key, item in value.items():
        key = str(raw_key)
        child = (*path, key)
        if not path and key.startswith("x-") and key not in shape.fields:
            continue  # extension keys hold YAML anchors; Kamal ignores them too
        if item is None and (key in shape.fields or shape.wildcard):
            continue  # an empty value counts as absent (`env:` with nothing under it)
        if key in shape.fields:
            problems += _check(item, shape.fields[key], child)
        elif shape.wildcard:
            problems += _check(item, shape.wildcard, child)
        else:
            problems.append(Problem(child, _unknown_key_message(path, key, shape), at_key=True))
    for key, shapes in shape.fields.items():
        if any(s.required for s in shapes) and value.get(key) is None:
            problems.append(Problem((*path, key), "is required", at_key=True))
    return problems


def _unknown_key_message(path: KeyPath, key: str, shape: Shape) -> str:
    for pattern, hint in _KAMAL1_HINTS.items():
        candidate = (*path, key)
        if len(pattern) == len(candidate) and all(
            p in ("*", str(c)) for p, c in zip(pattern, candidate, strict=True)
        ):
            return f"unknown key ({hint})"
    close = difflib.get_close_matches(key, list(shape.fields), n=1, cutoff=0.6)
    return f'unknown key, did you mean "{close[0]}"?' if close else "unknown key"
