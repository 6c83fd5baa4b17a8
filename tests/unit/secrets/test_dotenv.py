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
