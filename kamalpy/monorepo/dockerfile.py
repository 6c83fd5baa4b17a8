"""What a Dockerfile reads: context paths (COPY, ADD, bind mounts) and outside references.

Parsing is BuildKit's own parser (the `dockerfile` package wraps moby/buildkit's Go parser),
so continuations, escape directives, JSON forms, flags and heredocs read as Docker reads
them. This module only walks the instructions, expands ARG/ENV values in the words that
name files or images, and keeps the stages BuildKit builds for the target.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
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


@dataclass(eq=False)
class _Stage:
    env: dict[str, str]  # ARG and ENV values so far
    refs: list[ContextRef] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    needs: list[_Stage] = field(default_factory=list)  # stages it is built FROM or copies from


@dataclass
class _Walk:
    args: Mapping[str, str]  # build args given to the build
    global_args: dict[str, str] = field(default_factory=dict)
    stages: dict[str, _Stage] = field(default_factory=dict)  # by name and by index
    order: list[_Stage] = field(default_factory=list)

    @property
    def stage(self) -> _Stage:
        return self.order[-1] if self.order else _Stage({})  # before FROM: Docker refuses

    def built(self, target: str | None) -> list[_Stage]:
        """The stages BuildKit builds: the target (default the last) and what it needs."""
        if target is not None and target.lower() not in self.stages:
            return self.order  # Docker refuses an unknown target; count everything
        wanted = [self.stages[target.lower()] if target else self.order[-1]] if self.order else []
        seen: set[int] = set()
        while wanted:
            stage = wanted.pop()
            if id(stage) not in seen:
                seen.add(id(stage))
                wanted.extend(stage.needs)
        return [stage for stage in self.order if id(stage) in seen]


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


def read_dockerfile(
    text: str, *, path: str, build_args: Mapping[str, str], target: str | None = None
) -> DockerfileFacts:
    """The context paths and outside references of the stages a build of `target` runs."""
    try:
        commands = _parse(text)
    except buildkit.GoParseError as error:
        raise ConfigError([(Location(path), f"cannot parse the Dockerfile: {error}")]) from None
    walk = _Walk(args=build_args)
    for command in commands:
        _STEPS.get(command.cmd.upper(), _ignore)(walk, command)
    built = walk.built(target)
    return DockerfileFacts(
        refs=tuple(ref for stage in built for ref in stage.refs),
        from_images=tuple(dict.fromkeys(image for stage in built for image in stage.images)),
        external=tuple(dict.fromkeys(url for stage in built for url in stage.external)),
    )


@lru_cache(maxsize=1024)
def _parse(text: str) -> tuple[Any, ...]:
    """BuildKit's parse of a Dockerfile; services built from one template share it."""
    return tuple(buildkit.parse_string(text))


def _ignore(walk: _Walk, command: Any) -> None:
    """Instructions that read no file and name no image."""


def _arg(walk: _Walk, command: Any) -> None:
    scope = walk.stage.env if walk.order else walk.global_args
    for item in command.value:
        name, has_default, default = item.partition("=")
        if name in walk.args:
            scope[name] = walk.args[name]
        elif has_default:
            scope[name] = expand(_unquote(default), scope)
        elif walk.order and name in walk.global_args:
            scope[name] = walk.global_args[name]  # a global ARG re-declared in the stage


def _env(walk: _Walk, command: Any) -> None:
    env, values = walk.stage.env, command.value
    for index in range(0, len(values) - 1, 2):
        env[values[index]] = expand(_unquote(values[index + 1]), env)


def _from(walk: _Walk, command: Any) -> None:
    words = command.value
    image = expand(words[0], walk.global_args) if words else ""
    base = walk.stages.get(image.lower())
    stage = _Stage(dict(base.env) if base else {}, needs=[base] if base else [])
    if base is None and image and image.lower() != "scratch":
        stage.images.append(image)
    walk.stages[str(len(walk.order))] = stage
    walk.order.append(stage)
    if len(words) >= 3 and words[1].upper() == "AS":
        walk.stages[words[2].lower()] = stage


def _copy(walk: _Walk, command: Any) -> None:
    stage = walk.stage
    origin = [expand(value, stage.env) for value in _flags(command, "from")]
    if origin:
        _needs(walk, stage, origin[-1])
        return
    kind = command.cmd.lower()
    for word in command.value[:-1]:
        if command.heredocs and word.startswith("<<"):
            continue  # `<<EOF`, `<<-EOF`, `<<"EOF"`: the content is in the Dockerfile
        source = expand(word if command.json else _unquote(word), stage.env)
        if not source:
            continue  # an unset variable: the word vanishes, as in Docker's shell lexer
        if kind == "add" and _URL.match(source):
            stage.external.append(source)
            continue
        stage.refs.append(_ref(kind, source, command, f"{command.cmd.upper()} {source}"))


def _run(walk: _Walk, command: Any) -> None:
    stage = walk.stage
    for mount in _flags(command, "mount"):
        fields = _mount_fields(expand(mount, stage.env))
        if fields.get("type", "bind") != "bind":
            continue
        if fields.get("from"):
            _needs(walk, stage, fields["from"])
            continue
        source = fields.get("source") or fields.get("src") or "."
        written = f"RUN --mount=type=bind,source={source}"
        stage.refs.append(_ref("bind-mount", source, command, written))


def _needs(walk: _Walk, stage: _Stage, origin: str) -> None:
    """`--from=` an earlier stage (by name or index), else an image."""
    earlier = walk.stages.get(origin.lower())
    if earlier is not None:
        stage.needs.append(earlier)
    else:
        stage.images.append(origin)


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
