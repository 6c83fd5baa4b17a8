from __future__ import annotations

from collections.abc import Mapping

import pytest

from kamalpy.errors import SecretsError
from kamalpy.secrets.dotenv import parse_dotenv

CALLS: list[tuple[str, dict[str, str]]] = []


def fake_run(command: str, env: Mapping[str, str]) -> str:
    """Stands in for the shell: records what it was given, answers a fixed string."""
    CALLS.append((command, dict(env)))
    return f"<{command}>"


def parse(text: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    CALLS.clear()
    return parse_dotenv(text, ".kamal/secrets", environ or {}, fake_run)


def test_plain_quoted_and_exported_values() -> None:
    text = (
        "# comment\n\nA=plain value # trailing comment\nexport B='single $NOT # kept'\n"
        'C="two\\nlines \\"q\\""\nD=\n'
    )
    assert parse(text) == {
        "A": "plain value",
        "B": "single $NOT # kept",
        "C": 'two\nlines "q"',
        "D": "",
    }


def test_variables_come_from_earlier_lines_then_the_environment() -> None:
    text = 'A=one\nB=$A-${HOME_DIR}-$MISSING.\nC="\\$A"\n'
    assert parse(text, {"HOME_DIR": "/h", "A": "env"}) == {
        "A": "one",
        "B": "one-/h-.",
        "C": "$A",
    }


def test_command_substitution_gets_variables_through_its_environment() -> None:
    values = parse("TOKEN=s3cret\nX=$(printf %s $TOKEN | wc -c)\n")
    assert values["X"] == "<printf %s $TOKEN | wc -c>"
    command, env = CALLS[0]
    assert "s3cret" not in command and env["TOKEN"] == "s3cret"


def test_multiline_double_quoted_value() -> None:
    assert parse('KEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\n') == {
        "KEY": "-----BEGIN-----\nabc\n-----END-----",
        "NEXT": "1",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a line\n", ":1: expected NAME=value"),
        ("A=1\nB='open\n", ":2: unterminated ' quote"),
        ("A=$(echo\n", ":1: unterminated $("),
        ('A="x" junk\n', ":1: unexpected text"),
    ],
)
def test_errors_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(SecretsError, match=message.replace("$", r"\$").replace("(", r"\(")):
        parse(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("A=1\nB=2", {"A": "1", "B": "2"}),  # the last line needs no newline
        ("\nAB=1\n", {"AB": "1"}),  # a blank first line
        ("  # indented comment\nA=1\n", {"A": "1"}),
        ("A=''\nB=\"\"\n", {"A": "", "B": ""}),
        ('A="x" # comment\nB="y"#tight\n', {"A": "x", "B": "y"}),
        ('A="x\n"\nB=1\n', {"A": "x\n", "B": "1"}),  # a quoted value may end in a newline
        ('A="ab\\$x"\n', {"A": "ab$x"}),
        ('A="x$(one)b"\n', {"A": "x<one>b"}),
        ('A="(x) $(two)"\n', {"A": "(x) <two>"}),
        ('A="$(echo (y))"\n', {"A": "<echo (y)>"}),
    ],
)
def test_edges_of_lines_quotes_and_substitutions(text: str, values: dict[str, str]) -> None:
    assert parse(text) == values


def test_double_quoted_values_substitute_from_earlier_lines() -> None:
    assert parse('B=1\nA="$B $(cmd)"\n') == {"B": "1", "A": "1 <cmd>"}
    assert CALLS == [("cmd", {"B": "1"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\nbad line\n", ".kamal/secrets:2: expected NAME=value"),
        ('A="x"y\n', ".kamal/secrets:1: unexpected text after the closing quote"),
        ('\nA="$(x"\n', ".kamal/secrets:2: unterminated $( command substitution"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(SecretsError) as refused:
        parse(text)
    assert refused.value.message == message
