"""What a Dockerfile reads: context paths (COPY, ADD, bind mounts) and outside references.

Parsing is BuildKit's own parser (the `dockerfile` package wraps moby/buildkit's Go parser),
so continuations, escape directives, JSON forms, flags and heredocs read as Docker reads
them. This module only walks the instructions and expands ARG/ENV values in the words that
name files or images.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dockerfile as buildkit

from kamalpy.errors import ConfigError, Location

_VAR = re.compile(r"\\\$|\$(?:\{(\w+)(?:(:?[-+])([^}]*))?\}|(\w+))")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^git@", re.IGNORECASE)


@dataclass(frozen=True)
class ContextRef:
    """One path the build reads from its context, where it is written."""

    kind: str  # "copy" | "add" | "bind-mount"
    source: str  # context-relative, ARG/ENV-expanded, cleaned (never escapes the context)
    line: int
    written: str  # the instruction, short: "COPY libs/common"


@dataclass(frozen=True)
class DockerfileFacts:
    """Everything in a Dockerfile that decides the image besides its context files."""

    refs: tuple[ContextRef, ...] = ()
    from_images: tuple[str, ...] = ()  # external images: FROM, COPY --from=, RUN --mount from=
    external: tuple[str, ...] = ()  # ADD <url> sources


@dataclass
class _Walk:
    args: Mapping[str, str]  # build args given to the build
    global_args: dict[str, str] = field(default_factory=dict)
    stages: dict[str, dict[str, str]] = field(default_factory=dict)  # name/index -> env at end
    env: dict[str, str] | None = None  # the current stage's ARG and ENV values
    refs: list[ContextRef] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def expand(word: str, values: Mapping[str, str]) -> str:
    """Docker's variable expansion in one word: $X, ${X}, ${X:-d}, ${X-d}, ${X:+a}, ${X+a}."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "\\$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, operand = match.group(2), match.group(3) or ""
        value = values.get(name)
        if operator in ("-", ":-"):
            unset = value is None or (operator == ":-" and value == "")
            return operand if unset else str(value)
        if operator in ("+", ":+"):
            present = value is not None and (operator == "+" or value != "")
            return operand if present else ""
        return value or ""

    return _VAR.sub(one, word)


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def _flags(command: Any, name: str) -> list[str]:
    prefix = f"--{name}="
    return [flag[len(prefix) :] for flag in command.flags if flag.startswith(prefix)]


def read_dockerfile(text: str, *, path: str, build_args: Mapping[str, str]) -> DockerfileFacts:
    """The context paths and external references of one Dockerfile (every stage counts)."""
    try:
        commands = buildkit.parse_string(text)
    except buildkit.GoParseError as error:
        raise ConfigError([(Location(path), f"cannot parse the Dockerfile: {error}")]) from None
    walk = _Walk(args=build_args)
    for command in commands:
        _STEPS.get(command.cmd.upper(), _ignore)(walk, command)
    return DockerfileFacts(
        refs=tuple(walk.refs),
        from_images=tuple(dict.fromkeys(walk.images)),
        external=tuple(dict.fromkeys(walk.external)),
    )


def _ignore(walk: _Walk, command: Any) -> None:
    """Instructions that read no file and name no image."""


def _arg(walk: _Walk, command: Any) -> None:
    scope = walk.global_args if walk.env is None else walk.env
    for item in command.value:
        name, has_default, default = item.partition("=")
        if name in walk.args:
            scope[name] = walk.args[name]
        elif has_default:
            scope[name] = expand(_unquote(default), scope)
        elif walk.env is not None and name in walk.global_args:
            scope[name] = walk.global_args[name]  # a global ARG re-declared in the stage


def _env(walk: _Walk, command: Any) -> None:
    if walk.env is None:
        return
    values = command.value
    for index in range(0, len(values) - 1, 2):
        walk.env[values[index]] = expand(_unquote(values[index + 1]), walk.env)


def _from(walk: _Walk, command: Any) -> None:
    words = command.value
    image = expand(words[0], walk.global_args) if words else ""
    base = walk.stages.get(image.lower())
    if base is None and image and image.lower() != "scratch":
        walk.images.append(image)
    walk.env = dict(base or {})
    index = str(sum(1 for key in walk.stages if key.isdigit()))
    walk.stages[index] = walk.env
    if len(words) >= 3 and words[1].upper() == "AS":
        walk.stages[words[2].lower()] = walk.env


def _copy(walk: _Walk, command: Any) -> None:
    env = walk.env or {}
    origin = [expand(value, env) for value in _flags(command, "from")]
    if origin:
        if origin[-1].lower() not in walk.stages:
            walk.images.append(origin[-1])
        return
    kind = command.cmd.lower()
    names = [doc.name for doc in command.heredocs]
    heredocs = {f"<<{name}" for name in names} | {f"<<-{name}" for name in names}
    for word in command.value[:-1]:
        if word in heredocs:
            continue
        source = expand(word if command.json else _unquote(word), env)
        if kind == "add" and _URL.match(source):
            walk.external.append(source)
            continue
        walk.refs.append(_ref(kind, source, command, f"{command.cmd.upper()} {source}"))


def _run(walk: _Walk, command: Any) -> None:
    env = walk.env or {}
    for mount in _flags(command, "mount"):
        fields = _mount_fields(expand(mount, env))
        if fields.get("type", "bind") != "bind":
            continue
        origin = fields.get("from")
        if origin:
            if origin.lower() not in walk.stages:
                walk.images.append(origin)
            continue
        source = fields.get("source") or fields.get("src") or "."
        written = f"RUN --mount=type=bind,source={source}"
        walk.refs.append(_ref("bind-mount", source, command, written))


def _mount_fields(spec: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in spec.split(","):
        key, _, value = item.partition("=")
        fields[key.strip().lower()] = _unquote(value.strip())
    return fields


def _ref(kind: str, source: str, command: Any, written: str) -> ContextRef:
    # Docker resolves sources inside the context: `..` stops at its root.
    cleaned = posixpath.normpath("/" + source).lstrip("/") or "."
    return ContextRef(kind, cleaned, command.start_line, written)


_STEPS = {"ARG": _arg, "ENV": _env, "FROM": _from, "COPY": _copy, "ADD": _copy, "RUN": _run}
