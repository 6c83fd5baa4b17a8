"""The Ruby methods ERB expressions in real deploy.yml files call, with Ruby's results."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Union

Value = Union[str, int, float, bool, None, "list[Value]"]


class MethodError(Exception):
    """A method kamalpy does not know, or called on a value it does not apply to."""


def ruby_str(value: object) -> str:
    """Ruby's `to_s` (what `<%= %>` prints): nil is empty, arrays print as `inspect`."""
    if value is None:
        return ""
    if isinstance(value, list):
        return inspect(value)
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def inspect(value: object) -> str:
    """Ruby's `inspect`, for arrays printed by `<%= %>`."""
    if isinstance(value, list):
        return "[" + ", ".join(inspect(item) for item in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "nil" if value is None else ruby_str(value)


def truthy(value: Value) -> bool:
    """Ruby truthiness: only nil and false are false ("" is true)."""
    return value is not None and value is not False


def ruby_regex(source: str, flags: str = "") -> re.Pattern[str]:
    """A Ruby regexp literal as a Python pattern (the common subset)."""
    translated = source.replace(r"\z", r"\Z").replace(r"\h", "[0-9a-fA-F]")
    options = (re.IGNORECASE if "i" in flags else 0) | (re.VERBOSE if "x" in flags else 0)
    return re.compile(translated, options | (re.DOTALL if "m" in flags else 0))


def _blank(value: Value) -> bool:
    if isinstance(value, list):
        return not value
    return value is None or value is False or ruby_str(value).strip() == ""


def _split(value: Value, args: list[Value | re.Pattern[str]]) -> Value:
    text = _text(value)
    sep = args[0] if args else None
    limit = args[1] if len(args) > 1 and isinstance(args[1], int) else 0
    if sep is None or sep == " ":
        parts = text.split(None, limit - 1) if limit > 0 else text.split()
    elif isinstance(sep, re.Pattern):
        parts = sep.split(text, maxsplit=max(limit - 1, 0))
    else:
        parts = text.split(ruby_str(sep), limit - 1 if limit > 0 else -1)
    while limit == 0 and parts and parts[-1] == "":
        parts.pop()  # Ruby drops trailing empty fields
    return list(parts)


def _scan(value: Value, args: list[Value | re.Pattern[str]]) -> Value:
    pattern = args[0] if args else None
    if not isinstance(pattern, re.Pattern):
        pattern = re.compile(re.escape(ruby_str(pattern)))
    if pattern.groups:
        return [list(m.groups()) for m in pattern.finditer(_text(value))]
    return [m[0] for m in pattern.finditer(_text(value))]


def _text(value: Value) -> str:
    if not isinstance(value, str):
        raise MethodError("works on text only")
    return value


def _sub(count: int) -> Callable[[Value, list[Value | re.Pattern[str]]], Value]:
    def apply(value: Value, args: list[Value | re.Pattern[str]]) -> Value:
        if len(args) != 2:
            raise MethodError("needs a pattern and a replacement")
        pattern, replacement = args[0], ruby_str(args[1])
        if not isinstance(pattern, re.Pattern):
            pattern = re.compile(re.escape(ruby_str(pattern)))
        return pattern.sub(lambda _: replacement, _text(value), count=count)

    return apply


def _first(value: Value, args: list[Value | re.Pattern[str]]) -> Value:
    if isinstance(value, list):
        if args and isinstance(args[0], int):
            return value[: args[0]]
        return value[0] if value else None
    text = _text(value)
    return text[: args[0]] if args and isinstance(args[0], int) else text[:1]


def _last(value: Value, args: list[Value | re.Pattern[str]]) -> Value:
    if isinstance(value, list):
        return value[-1] if value else None
    return _text(value)[-1:]


def _to_i(value: Value) -> Value:
    if isinstance(value, bool):
        raise MethodError("booleans have no to_i")
    if isinstance(value, int | float):
        return int(value)
    match = re.match(r"\s*[-+]?\d+", ruby_str(value))
    return int(match[0]) if match else 0


Plain = Callable[[Value], Value]
_PLAIN: dict[str, Plain] = {
    "strip": lambda v: _text(v).strip(),
    "lstrip": lambda v: _text(v).lstrip(),
    "rstrip": lambda v: _text(v).rstrip(),
    "chomp": lambda v: re.sub(r"(\r\n|\n|\r)\Z", "", _text(v)),
    "downcase": lambda v: _text(v).lower(),
    "upcase": lambda v: _text(v).upper(),
    "to_s": ruby_str,
    "to_str": ruby_str,
    "to_i": _to_i,
    "present?": lambda v: not _blank(v),
    "blank?": _blank,
    "nil?": lambda v: v is None,
    "empty?": lambda v: len(v) == 0 if isinstance(v, list) else len(_text(v)) == 0,
    "size": lambda v: len(v) if isinstance(v, list) else len(_text(v)),
    "length": lambda v: len(v) if isinstance(v, list) else len(_text(v)),
    "lines": lambda v: list[Value](_text(v).splitlines(keepends=True)),
    "compact": lambda v: [i for i in v if i is not None] if isinstance(v, list) else v,
    "presence": lambda v: None if _blank(v) else v,
}
WithArgs = Callable[[Value, list[Value | re.Pattern[str]]], Value]
_WITH_ARGS: dict[str, WithArgs] = {
    "split": _split,
    "scan": _scan,
    "first": _first,
    "last": _last,
    "sub": _sub(1),
    "gsub": _sub(0),
    "join": lambda v, a: ruby_str(a[0] if a else "").join(
        ruby_str(i) for i in (v if isinstance(v, list) else [v])
    ),
    "include?": lambda v, a: (a[0] in v) if isinstance(v, list) else ruby_str(a[0]) in _text(v),
    "start_with?": lambda v, a: any(_text(v).startswith(ruby_str(x)) for x in a),
    "end_with?": lambda v, a: any(_text(v).endswith(ruby_str(x)) for x in a),
}
METHODS = frozenset(_PLAIN) | frozenset(_WITH_ARGS) | {"map"}


def index_value(value: Value, start: Value, kind: str | None, stop: Value) -> Value:
    """`value[start]`, `value[start..stop]` (kind "..") or `value[start, length]` (kind ",")."""
    if not isinstance(value, str | list) or not isinstance(start, int):
        raise MethodError("indexing needs text or a list and a number")
    if kind is None:
        return value[start] if -len(value) <= start < len(value) else None
    if not isinstance(stop, int):
        raise MethodError("a range needs numbers")
    end = (stop + 1 if stop != -1 else None) if kind == ".." else start + stop
    return value[start:end]


def call_method(name: str, value: Value, args: list[Value | re.Pattern[str]]) -> Value:
    """`value.name(*args)` with Ruby's result; MethodError when kamalpy cannot do it."""
    if name == "map":  # only the `map(&:strip)` form
        method = args[0] if args else None
        if not isinstance(value, list) or not isinstance(method, str) or method not in _PLAIN:
            raise MethodError("only `map(&:method)` on a list is supported")
        return [_PLAIN[method](item) for item in value]
    if name in _PLAIN:
        if args:
            raise MethodError("takes no arguments")
        return _PLAIN[name](value)
    if name in _WITH_ARGS:
        return _WITH_ARGS[name](value, args)
    raise MethodError("is not supported")
