"""Tokens of the Ruby expressions ERB tags hold: strings (with `#{}`), commands, regexps, names."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kinds: str (text, parts for "#{}"), tick (a shell command), regex, num, name, sym (&:name),
# words (%w[]), op.
_SIMPLE = re.compile(
    r"""(?:
      (?P<num>\d+(?:\.\d+)?)
    | (?P<sym>&:[A-Za-z_][A-Za-z0-9_]*[?!]?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:[?!](?!=))?)
    | (?P<op>\|\||&&|==|!=|=~|\.\.|[!\[\]().,{}?:=+*<>])
    )""",
    re.VERBOSE,
)
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}


class TokenError(Exception):
    """The text is not a Ruby expression kamalpy can read."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token; `parts` holds a double-quoted string's pieces (text or `#{}` source)."""

    kind: str
    text: str
    parts: tuple[tuple[bool, str], ...] = ()


def tokenize(source: str) -> list[Token]:
    """All tokens of `source`; TokenError at the first character that starts none."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char.isspace():
            pos += 1
        elif char in "\"'":
            token, pos = _string(source, pos)
            tokens.append(token)
        elif char == "`":
            end = source.find("`", pos + 1)
            if end < 0:
                raise TokenError("unterminated backticks")
            tokens.append(Token("tick", source[pos + 1 : end]))
            pos = end + 1
        elif source.startswith(("%x", "%w", "%W"), pos) and pos + 2 < len(source):
            kind = "tick" if source[pos + 1] == "x" else "words"
            body, pos = _delimited(source, pos + 2)
            tokens.append(Token(kind, body))
        elif char == "/" and _regex_allowed(tokens):
            end = _regex_end(source, pos)
            flags = re.match(r"[imx]*", source[end + 1 :])
            options = flags[0] if flags else ""
            tokens.append(Token("regex", source[pos + 1 : end], ((False, options),)))
            pos = end + 1 + len(options)
        else:
            match = _SIMPLE.match(source, pos)
            if not match:
                raise TokenError(f"unexpected `{source[pos : pos + 10]}`")
            kind = match.lastgroup or ""
            tokens.append(Token(kind, match[kind]))
            pos = match.end()
    return tokens


def _regex_allowed(tokens: list[Token]) -> bool:
    """A `/` starts a regexp after an operator or `(`, never after a value (no division here)."""
    return not tokens or (tokens[-1].kind == "op" and tokens[-1].text not in (")", "]"))


def _regex_end(source: str, pos: int) -> int:
    index = pos + 1
    while index < len(source) and source[index] != "/":
        index += 2 if source[index] == "\\" else 1
    if index >= len(source):
        raise TokenError("unterminated regular expression")
    return index


def _delimited(source: str, pos: int) -> tuple[str, int]:
    """The body of `%x(...)`-style literals: balanced brackets or a repeated delimiter."""
    opener = source[pos]
    closer = _PAIRS.get(opener, opener)
    depth, index = 1, pos + 1
    while index < len(source):
        if source[index] == closer:
            depth -= 1
            if depth == 0:
                return source[pos + 1 : index], index + 1
        elif source[index] == opener and closer != opener:
            depth += 1
        index += 1
    raise TokenError(f"unterminated %{opener} literal")


def _string(source: str, pos: int) -> tuple[Token, int]:
    quote = source[pos]
    parts: list[tuple[bool, str]] = []
    text: list[str] = []
    index = pos + 1
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            text.append(_escape(source[index + 1], quote))
            index += 2
        elif char == quote:
            parts.append((False, "".join(text)))
            plain = "".join(p for code, p in parts if not code)
            return Token("str", plain, tuple(parts)), index + 1
        elif quote == '"' and source.startswith("#{", index):
            parts.append((False, "".join(text)))
            text = []
            code, index = _interpolation(source, index + 2)
            parts.append((True, code))
        else:
            text.append(char)
            index += 1
    raise TokenError("unterminated string")


def _escape(char: str, quote: str) -> str:
    if quote == "'":
        return char if char in "'\\" else "\\" + char
    return {"n": "\n", "t": "\t", "s": " ", "0": "\0", "e": "\x1b"}.get(char, char)


def _interpolation(source: str, pos: int) -> tuple[str, int]:
    """The Ruby code of one `#{...}`, skipping braces inside nested strings."""
    depth, index = 1, pos
    while index < len(source):
        char = source[index]
        if char in "\"'":
            _, index = _string(source, index)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return source[pos:index], index + 1
        index += 1
    raise TokenError("unterminated #{...}")


def split_statements(code: str) -> list[str]:
    """`a; b` and multi-line tags as separate statements (separators inside strings kept)."""
    statements, current, quote, index = [], [], "", 0
    while index < len(code):
        char = code[index]
        if quote:
            if char == "\\":
                current.append(code[index : index + 2])
                index += 2
                continue
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char in ";\n":
            statements.append("".join(current).strip())
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    statements.append("".join(current).strip())
    return [s for s in statements if s]
