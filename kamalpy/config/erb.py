"""An evaluator for the ERB real deploy.yml files use; never Ruby's or Python's `eval`.

Supported: `<%= expr %>`, `<% if/elsif/unless cond %> ... <% else %> ... <% end %>`, `<%# %>`,
`-%>` / `<%-` trimming and `<%%`; `<% %>` statements `name = expr`, `require "..."`,
`Dotenv.load(...)`, several separated by `;` or lines. Expressions: see `erbexpr` and
docs/config.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kamalpy.config.erbexpr import ErbContext, ErbError, Scope, evaluate, execute, truthy
from kamalpy.config.erbmethods import ruby_str
from kamalpy.config.erbtokens import split_statements
from kamalpy.errors import ConfigError, Location

_TAG = re.compile(r"<%(?P<kind>%|=|#|-)?(?P<body>.*?)(?P<trim>-)?%>", re.DOTALL)
_CONTROL = re.compile(
    r"^(?P<word>if|elsif|unless|else|end|begin|rescue)\b\s*(?P<rest>.*)$", re.DOTALL
)
# Loops, blocks and definitions: real files do not need them, and a partial Ruby would guess.
_UNSUPPORTED = re.compile(r"^(while|until|for|case|when|def|class|module|loop)\b|\bdo\s*(\|.*\|)?$")


@dataclass(slots=True)
class _Branch:
    condition: str | None  # None = else
    negate: bool
    line: int
    body: list[_Node] = field(default_factory=list)


@dataclass(slots=True)
class _If:
    branches: list[_Branch]


@dataclass(slots=True)
class _Output:
    expr: str
    line: int


@dataclass(slots=True)
class _Exec:
    statement: str
    line: int


_Node = str | _Output | _Exec | _If


def render(text: str, file: str, context: ErbContext) -> str:
    """Evaluate the ERB template `text`; errors name `file`, the line and the expression."""
    try:
        nodes = _parse(text)
        return "".join(_run(nodes, Scope(file, context)))
    except ErbError as error:
        raise ConfigError([(Location(file, error.line), error.message)]) from None


def _parse(text: str) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_If, list[_Node]]] = []
    body = root
    pos = 0
    for match in _TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        chunk = text[pos : match.start()]
        if match["kind"] == "-":  # `<%-` drops the indentation before the tag
            chunk = re.sub(r"[ \t]+\Z", "", chunk)
        body.append(chunk)
        pos = match.end()
        if match["trim"] and text.startswith("\n", pos):
            pos += 1
        kind, code = match["kind"], match["body"].strip()
        if kind == "%":
            body.append("<%" + match["body"] + ("-" if match["trim"] else "") + "%>")
        elif kind == "=":
            body.append(_Output(code, line))
        elif kind != "#":
            for statement in split_statements(code):
                body = _control(statement, line, body, root, stack)
    body.append(text[pos:])
    if stack:
        raise ErbError(stack[-1][0].branches[0].line, "`if` without a matching `<% end %>`")
    return root


def _control(
    code: str,
    line: int,
    body: list[_Node],
    root: list[_Node],
    stack: list[tuple[_If, list[_Node]]],
) -> list[_Node]:
    """Handle one statement of a `<% %>` tag; returns the node list following text goes into."""
    match = _CONTROL.match(code)
    if not match:
        if _UNSUPPORTED.search(code):
            raise ErbError(line, f"unsupported ERB statement `{code}`")
        body.append(_Exec(code, line))
        return body
    word, rest = match["word"], match["rest"].strip()
    if word == "begin":  # `begin; require "dotenv"; ...; rescue LoadError; end`
        word, rest = "if", "true"
    if word in ("if", "unless"):
        parent = stack[-1][0].branches[-1].body if stack else root
        node = _If([_Branch(rest, word == "unless", line)])
        parent.append(node)
        stack.append((node, parent))
        return node.branches[-1].body
    if not stack:
        raise ErbError(line, f"`{word}` without an opening `if`")
    node = stack[-1][0]
    if word == "end":
        stack.pop()
        return stack[-1][0].branches[-1].body if stack else root
    if word == "rescue":  # nothing kamalpy runs raises what a file rescues: never taken
        node.branches.append(_Branch("false", False, line))
        return node.branches[-1].body
    node.branches.append(_Branch(rest if word == "elsif" else None, False, line))
    return node.branches[-1].body


def _run(nodes: list[_Node], scope: Scope) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Output):
            out.append(ruby_str(evaluate(node.expr, node.line, scope)))
        elif isinstance(node, _Exec):
            execute(node.statement, node.line, scope)
        else:
            for branch in node.branches:
                if branch.condition is None:
                    out.extend(_run(branch.body, scope))
                    break
                taken = truthy(evaluate(branch.condition, branch.line, scope))
                if taken != branch.negate:
                    out.extend(_run(branch.body, scope))
                    break
    return out
