"""Read a Kamal `.kamal/secrets`-style dotenv file, with `$VAR`, `${VAR}` and `$(command)`.

Commands are run by a callable the caller passes in (only the executor runs processes). Inside
`$(…)`, variables are not pasted into the command text: they are handed to the shell in its
environment, so a secret never lands in a process argument list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

from kamalpy.errors import SecretsError

RunCommand = Callable[[str, Mapping[str, str]], str]
_KEY: Final = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*[=:][ \t]*")
_VAR: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)")
_DOUBLE_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t"}


def parse_dotenv(
    text: str, path: str, environ: Mapping[str, str], run: RunCommand
) -> dict[str, str]:
    """Every KEY=value of the file, substituted as Kamal's dotenv does; errors name the line."""
    values: dict[str, str] = {}
    position = 0
    while position < len(text):
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        line = text[position:line_end]
        if not line.strip() or line.lstrip().startswith("#"):
            position = line_end + 1
            continue
        number = text.count("\n", 0, position) + 1
        match = _KEY.match(text, position, line_end)
        if not match:
            raise SecretsError(f"{path}:{number}: expected NAME=value")
        scope = {**environ, **values}
        value, position = _value(text, match.end(), f"{path}:{number}", scope, run)
        values[match.group(1)] = value
    return values


def _value(
    text: str, start: int, where: str, scope: Mapping[str, str], run: RunCommand
) -> tuple[str, int]:
    quote = text[start : start + 1]
    if quote in ("'", '"'):
        end = start + 1
        while end < len(text) and text[end] != quote:
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            raise SecretsError(f"{where}: unterminated {quote} quote")
        raw = text[start + 1 : end]
        rest_end = _line_end(text, end + 1)
        if text[end + 1 : rest_end].strip() and not text[end + 1 : rest_end].strip()[0] == "#":
            raise SecretsError(f"{where}: unexpected text after the closing quote")
        if quote == "'":
            return raw, rest_end + 1
        return _substitute(_unescape_double(raw), where, scope, run), rest_end + 1
    end = _line_end(text, start)
    raw = re.sub(r"\s+#.*$", "", text[start:end]).strip()
    return _substitute(raw, where, scope, run), end + 1


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _unescape_double(raw: str) -> str:
    """Backslash escapes of double quotes; `\\$` is kept so substitution leaves a literal `$`."""
    out = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            following = raw[index + 1]
            out.append("\\$" if following == "$" else _DOUBLE_ESCAPES.get(following, following))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _substitute(raw: str, where: str, scope: Mapping[str, str], run: RunCommand) -> str:
    out = []
    index = 0
    while index < len(raw):
        if raw.startswith("\\$", index):
            out.append("$")
            index += 2
        elif raw.startswith("$(", index):
            close = _matching_paren(raw, index + 1, where)
            out.append(run(raw[index + 2 : close], scope))
            index = close + 1
        elif raw[index] == "$" and (var := _VAR.match(raw, index + 1)):
            out.append(scope.get(var.group(1) or var.group(2), ""))
            index = var.end()
        else:
            out.append(raw[index])
            index += 1
    return "".join(out)


def _matching_paren(raw: str, open_index: int, where: str) -> int:
    depth = 0
    for index in range(open_index, len(raw)):
        if raw[index] == "(":
            depth += 1
        elif raw[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise SecretsError(f"{where}: unterminated $( command substitution")
