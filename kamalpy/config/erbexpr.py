"""Recursive-descent evaluator for the Ruby expressions of ERB tags; unknown forms are errors.

The grammar (operators, literals, calls, indexing) is here; tokens come from `erbtokens`, the
methods on values from `erbmethods`, and `ENV`, `File`, `Dotenv` and constants from `erbglobals`.
Commands in backticks or `%x()` run through `ErbContext.shell`, a callable the CLI builds on
the executor: this layer never starts a process itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kamalpy.config.erbcontext import (
    ErbContext,
    ErbError,
    Scope,
    ShellOutput,
    load_dotenv,
    run_command,
)
from kamalpy.config.erbglobals import GLOBALS, RUBY_CONSTANTS, Arg
from kamalpy.config.erbmethods import (
    METHODS,
    MethodError,
    Value,
    call_method,
    index_value,
    ruby_regex,
    ruby_str,
    truthy,
)
from kamalpy.config.erbtokens import Token, TokenError, tokenize

__all__ = ["ErbContext", "ErbError", "Scope", "ShellOutput", "Value", "evaluate", "truthy"]


class _Parser:
    """One expression; each method parses one precedence level and returns its value.

    While `dead` > 0 the parser is in a branch Ruby would not evaluate (`a || b` with `a`
    true): it checks syntax but runs no command and reads no file.
    """

    def __init__(self, expr: str, line: int, scope: Scope) -> None:
        self.expr, self.line, self.scope = expr.strip(), line, scope
        try:
            self.tokens = tokenize(self.expr)
        except TokenError as error:
            raise self.fail(str(error)) from None
        self.pos = 0
        self.dead = 0

    def fail(self, why: str = "") -> ErbError:
        detail = f" ({why})" if why else ""
        return ErbError(self.line, f"unsupported ERB expression <%= {self.expr} %>{detail}")

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.tokens[index].text if index < len(self.tokens) else None

    def peek_kind(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> Token:
        if self.pos >= len(self.tokens) or (expected and self.tokens[self.pos].text != expected):
            raise self.fail(f"expected `{expected}`" if expected else "unexpected end")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def end(self, value: Value) -> Value:
        if self.pos != len(self.tokens):
            raise self.fail(f"unexpected `{self.peek()}`")
        return value

    def statement(self) -> Value:
        """`<% %>` content: `require "x"`, `name = expr`, or an expression for its effect."""
        if self.peek() == "require" and self.peek_kind() == "name":
            self.take()
            name = self.take().text
            if name == "dotenv/load":
                load_dotenv(self.scope, self.line, [".env"], override=False, strict=False)
            return self.end(None)
        if self.peek_kind() == "name" and self.peek(1) == "=" and self.peek() not in _KEYWORDS:
            name = self.take().text
            self.take("=")
            value = self.ternary()
            self.scope.locals[name] = value
            return self.end(value)
        return self.end(self.ternary())

    def ternary(self) -> Value:
        condition = self.or_expr()
        if self.peek() != "?":
            return condition
        self.take()
        taken = truthy(condition)
        yes = self.guarded(not taken, self.ternary)
        self.take(":")
        no = self.guarded(taken, self.ternary)
        return yes if taken else no

    def guarded(self, skip: bool, parse: Callable[[], Value]) -> Value:
        self.dead += int(skip)
        try:
            return parse()
        finally:
            self.dead -= int(skip)

    def or_expr(self) -> Value:
        value = self.and_expr()
        while self.peek() == "||":
            self.take()
            right = self.guarded(truthy(value), self.and_expr)
            value = value if truthy(value) else right
        return value

    def and_expr(self) -> Value:
        value = self.not_expr()
        while self.peek() == "&&":
            self.take()
            right = self.guarded(not truthy(value), self.not_expr)
            value = right if truthy(value) else value
        return value

    def not_expr(self) -> Value:
        if self.peek() == "!":
            self.take()
            return not truthy(self.not_expr())
        left = self.sum()
        if self.peek() in ("==", "!="):
            op = self.take().text
            return (left == self.sum()) == (op == "==")
        if self.peek() == "=~":
            self.take()
            pattern = self.postfix_arg()
            found = isinstance(pattern, re.Pattern) and isinstance(left, str)
            match = pattern.search(left) if found else None  # type: ignore[union-attr, arg-type]
            return match.start() if match else None
        return left

    def product(self) -> Value:
        value = self.postfix()
        while self.peek() == "*":
            self.take()
            right = self.postfix()
            if self.dead:
                continue
            numbers = {type(value), type(right)} <= {int, float}
            if not (numbers or (isinstance(value, str) and type(right) is int)):
                raise self.fail("`*` needs two numbers, or text and a count")
            value = value * right  # type: ignore[operator]
        return value

    def sum(self) -> Value:
        value = self.product()
        while self.peek() == "+":
            self.take()
            right = self.product()
            if self.dead:
                continue
            same = {type(value), type(right)}
            if same <= {int, float} or same in ({str}, {list}):
                value = value + right  # type: ignore[operator]
            else:
                raise self.fail("`+` needs two strings, two numbers or two arrays")
        return value

    def postfix_arg(self) -> Arg:
        if self.peek_kind() == "regex":
            token = self.take()
            return _regex(token, self)
        if self.peek_kind() == "sym":
            return self.take().text[2:]
        return self.ternary()

    def postfix(self) -> Value:
        value = self.primary()
        while self.peek() in (".", "["):
            if self.take().text == "[":
                value = self.index(value)
                continue
            name = self.take().text
            if name not in METHODS and not self.dead:
                raise self.fail(f"method `{name}` is not supported")
            args = self.call_args()
            if self.dead:
                continue
            try:
                value = call_method(name, value, args)
            except MethodError as error:
                raise self.fail(f"`{name}` {error} (on {ruby_str(value)!r})") from None
        return value

    def call_args(self) -> list[Arg]:
        args: list[Arg] = []
        if self.peek() != "(":
            return args
        self.take()
        while self.peek() != ")":
            args.append(self.postfix_arg())
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        return args

    def index(self, value: Value) -> Value:
        start = self.ternary()
        stop: Value = None
        kind = self.peek()
        if kind in ("..", ","):
            self.take()
            stop = self.ternary()
        self.take("]")
        if self.dead:
            return None
        try:
            return index_value(value, start, kind if kind in ("..", ",") else None, stop)
        except MethodError as error:
            raise self.fail(str(error)) from None

    def primary(self) -> Value:
        token = self.take()
        if token.kind == "str":
            return self.interpolate(token)
        if token.kind == "num":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "tick":
            return None if self.dead else run_command(self.scope, self.line, token.text)
        if token.kind == "words":
            return list(token.text.split())
        if token.text == "(":
            value = self.ternary()
            self.take(")")
            return value
        if token.text == "[":
            items: list[Value] = []
            while self.peek() != "]":
                items.append(self.ternary())
                if self.peek() != "]":
                    self.take(",")
            self.take("]")
            return items
        if token.kind == "name":
            return self.named(token.text)
        raise self.fail(f"`{token.text}` is not supported")

    def named(self, name: str) -> Value:
        literals: dict[str, Value] = {"true": True, "false": False, "nil": None}
        if name in literals:
            return literals[name]
        if name in self.scope.locals:
            return self.scope.locals[name]
        if name in GLOBALS:
            return GLOBALS[name](self)
        if name in RUBY_CONSTANTS:
            return RUBY_CONSTANTS[name]
        if self.dead:  # Ruby never evaluates it: `ENV["X"] || SomeConstant`
            return None
        raise self.fail(f"`{name}` is not supported")

    def interpolate(self, token: Token) -> Value:
        if not token.parts or self.dead:
            return token.text
        out = []
        for is_code, text in token.parts:
            out.append(ruby_str(_Parser(text, self.line, self.scope).parse()) if is_code else text)
        return "".join(out)

    def parse(self) -> Value:
        return self.end(self.ternary())

    def string_arg(self) -> str:
        value = self.ternary()
        if not isinstance(value, str):
            raise self.fail("expected text")
        return value


_KEYWORDS = frozenset({*GLOBALS, "true", "false", "nil", "require"})


def _regex(token: Token, parser: _Parser) -> re.Pattern[str]:
    try:
        return ruby_regex(token.text, token.parts[0][1] if token.parts else "")
    except re.error as error:
        raise parser.fail(f"regular expression: {error}") from None


def evaluate(expr: str, line: int, scope: Scope) -> Value:
    """The value of one `<%= %>` expression, or ErbError naming the line and the expression."""
    if not expr.strip():
        raise ErbError(line, "empty ERB expression")
    return _Parser(expr, line, scope).parse()


def execute(statement: str, line: int, scope: Scope) -> None:
    """Run one `<% %>` statement: an assignment, `require`, `Dotenv.load`, or an expression."""
    _Parser(statement, line, scope).statement()
