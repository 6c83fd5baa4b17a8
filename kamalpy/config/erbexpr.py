"""Tokenizer and recursive-descent evaluator for ERB expressions; unknown forms are errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Value = str | int | float | bool | None


class ErbError(Exception):
    """An ERB tag kamalpy cannot evaluate; carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class ErbContext:
    """What ERB may see: the environment, git HEAD, and files under the config root."""

    environ: Mapping[str, str]
    git_head: Callable[[], str | None]
    read_file: Callable[[str], str]


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<tick>`[^`]*`)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*[?!]?)
    | (?P<op>\|\||&&|==|!=|[!\[\]().,{}])
    )""",
    re.VERBOSE,
)
_GIT = {"git rev-parse HEAD": 0, "git rev-parse --short HEAD": 7}
_METHODS: dict[str, Callable[[Value], Value]] = {
    "strip": lambda v: v.strip() if isinstance(v, str) else v,
    "chomp": lambda v: v.rstrip("\r\n") if isinstance(v, str) else v,
    "to_s": lambda v: "" if v is None else str(v),
    "present?": lambda v: v is not None and v is not False and str(v).strip() != "",
    "blank?": lambda v: v is None or v is False or str(v).strip() == "",
    "nil?": lambda v: v is None,
    "to_i": lambda v: int(m[0]) if (m := re.match(r"\s*-?\d+", str(v or ""))) else 0,
}


def truthy(value: Value) -> bool:
    """Ruby truthiness: only nil and false are false ("" is true)."""
    return value is not None and value is not False


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    if literal[0] == "'":
        return body.replace("\\'", "'").replace("\\\\", "\\")
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m[1], m[1]), body)


def _tokenize(expr: str, line: int) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, expr.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ErbError(line, f"unsupported ERB expression <%= {expr.strip()} %>")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        pos = match.end()
    return tokens


class _Parser:
    """One expression; each method parses one precedence level and returns its value."""

    def __init__(self, expr: str, line: int, context: ErbContext) -> None:
        self.expr, self.line, self.context = expr.strip(), line, context
        self.tokens = _tokenize(expr, line)
        self.pos = 0

    def fail(self, why: str = "") -> ErbError:
        detail = f" ({why})" if why else ""
        return ErbError(self.line, f"unsupported ERB expression <%= {self.expr} %>{detail}")

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens) or (expected and self.tokens[self.pos][1] != expected):
            raise self.fail(f"expected `{expected}`" if expected else "unexpected end")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def parse(self) -> Value:
        value = self.or_expr()
        if self.pos != len(self.tokens):
            raise self.fail(f"unexpected `{self.peek()}`")
        return value

    def or_expr(self) -> Value:
        value = self.and_expr()
        while self.peek() == "||":
            self.take()
            right = self.and_expr()
            value = value if truthy(value) else right
        return value

    def and_expr(self) -> Value:
        value = self.not_expr()
        while self.peek() == "&&":
            self.take()
            right = self.not_expr()
            value = right if truthy(value) else value
        return value

    def not_expr(self) -> Value:
        if self.peek() == "!":
            self.take()
            return not truthy(self.not_expr())
        left = self.postfix()
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.postfix()
            return (left == right) == (op == "==")
        return left

    def postfix(self) -> Value:
        value = self.primary()
        while self.peek() == ".":
            self.take()
            name = self.take()[1]
            if name not in _METHODS:
                raise self.fail(f"method `{name}` is not supported")
            value = _METHODS[name](value)
        return value

    def primary(self) -> Value:
        kind, text = self.take()
        if kind == "str":
            return _unquote(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "tick":
            return self.backtick(text[1:-1])
        if text == "(":
            value = self.or_expr()
            self.take(")")
            return value
        literals: dict[str, Value] = {"true": True, "false": False, "nil": None}
        if text in literals:
            return literals[text]
        if text == "ENV":
            return self.env()
        if text == "File":
            return self.file_read()
        raise self.fail(f"`{text}` is not supported")

    def string_arg(self) -> str:
        kind, text = self.take()
        if kind != "str":
            raise self.fail("expected a quoted string")
        return _unquote(text)

    def env(self) -> Value:
        if self.peek() == "[":
            self.take()
            name = self.string_arg()
            self.take("]")
            return self.context.environ.get(name)
        self.take(".")
        self.take("fetch")
        self.take("(")
        name = self.string_arg()
        if self.peek() == ",":
            self.take()
            default = self.or_expr()
            self.take(")")
            return self.context.environ.get(name, default)
        self.take(")")
        if self.peek() == "{":  # ENV.fetch("X") { "default" }
            self.take()
            default = self.or_expr()
            self.take("}")
            return self.context.environ.get(name, default)
        if name not in self.context.environ:
            raise ErbError(
                self.line, f'ENV.fetch("{name}"): environment variable {name} is not set'
            )
        return self.context.environ[name]

    def file_read(self) -> Value:
        self.take(".")
        self.take("read")
        self.take("(")
        path = self.string_arg()
        self.take(")")
        try:
            return self.context.read_file(path)
        except OSError as error:
            raise ErbError(self.line, f'File.read("{path}"): {error.strerror or error}') from None

    def backtick(self, command: str) -> Value:
        normalized = " ".join(command.split())
        if normalized not in _GIT:
            raise self.fail("only `git rev-parse [--short] HEAD` may run in backticks")
        head = self.context.git_head()
        if head is None:
            raise ErbError(self.line, f"`{command}`: not inside a git repository with commits")
        length = _GIT[normalized]
        return (head[:length] if length else head) + "\n"


def evaluate(expr: str, line: int, context: ErbContext) -> Value:
    """The value of one ERB expression, or ErbError naming the line and the expression."""
    if not expr.strip():
        raise ErbError(line, "empty ERB expression")
    return _Parser(expr, line, context).parse()
