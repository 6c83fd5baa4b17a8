"""The dotenv file format as Ruby's dotenv gem reads it (for `Dotenv.load` in ERB)."""

from __future__ import annotations

import re
from collections.abc import Callable

_LINE = re.compile(
    r"""^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*[=:]\s*
    (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\#\r\n]*?)\s*(?:\#.*)?$""",
    re.VERBOSE,
)
_CLOSED = re.compile(r'"(?:[^"\\]|\\.)*"')
_VARIABLE = re.compile(r"(\\?)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def parse_dotenv(text: str, lookup: Callable[[str], str | None]) -> dict[str, str]:
    """`KEY=value` lines; quotes, `export`, comments; `$VAR`/`${VAR}` outside single quotes.

    Variables expand from the keys read so far, then from `lookup` (the environment); no
    command substitution (`$(...)`): that would run code kamalpy has not been asked to run.
    """
    values: dict[str, str] = {}
    for line in _logical_lines(text):
        match = _LINE.match(line)
        if not match:
            continue
        raw = match["value"]
        if raw.startswith("'") and raw.endswith("'") and len(raw) > 1:
            values[match["key"]] = raw[1:-1]
            continue
        if raw.startswith('"') and raw.endswith('"') and len(raw) > 1:
            raw = re.sub(r"\\([nrt\"\\$])", _unescape, raw[1:-1])
        values[match["key"]] = _expand(raw, values, lookup)
    return values


def _logical_lines(text: str) -> list[str]:
    """Lines, with a double-quoted value that spans several lines joined into one."""
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        pending = f"{pending}\\n{line}" if pending else line
        if _open_quote(pending):
            continue
        lines.append(pending)
        pending = ""
    return lines + ([pending] if pending else [])


def _open_quote(line: str) -> bool:
    _, sep, rest = line.partition("=")
    rest = rest.strip()
    return bool(sep) and rest.startswith('"') and not _CLOSED.match(rest)


def _unescape(match: re.Match[str]) -> str:
    return {"n": "\n", "r": "\r", "t": "\t"}.get(match[1], match[1])


def _expand(raw: str, values: dict[str, str], lookup: Callable[[str], str | None]) -> str:
    def one(match: re.Match[str]) -> str:
        if match[1]:
            return match[0][1:]
        name = match[2] or match[3]
        found = values.get(name)
        return found if found is not None else (lookup(name) or "")

    return _VARIABLE.sub(one, raw)
