from __future__ import annotations

import pytest

from kamalpy.commands.env_file import MAX_LINE_BYTES, env_file_problem, render_env_file
from kamalpy.errors import SecretsError
from kamalpy.sensitive import Sensitive


def test_values_docker_carries_exactly_are_written_verbatim() -> None:
    body = render_env_file(
        {"B": Sensitive(' "quoted" #x=y '), "A": Sensitive(""), "C": Sensitive("mid\rdle é")}
    )
    assert body == 'A=\nB= "quoted" #x=y \nC=mid\rdle é\n'.encode()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("two\nlines", "newline"),
        ("ends\r", "carriage return"),
        ("nul\0", "NUL"),
        ("x" * 65534, "bytes"),
        ("\ud800", "surrogate"),
    ],
)
def test_values_docker_would_alter_are_refused_naming_the_secret_not_the_value(
    value: str, why: str
) -> None:
    with pytest.raises(SecretsError) as error:
        render_env_file({"OK": Sensitive("fine"), "API_TOKEN": Sensitive(value)})
    text = error.value.render()
    assert "API_TOKEN" in text and why in text
    if len(value) > 3:
        assert value not in text


def test_longest_line_docker_accepts_is_allowed() -> None:
    assert len(render_env_file({"L": Sensitive("x" * 65533)})) == 65536


def test_names_that_are_not_env_names_are_refused() -> None:
    with pytest.raises(SecretsError, match="A B"):
        render_env_file({"A B": Sensitive("x")})


def test_select_env_maps_aliases_to_their_secrets() -> None:
    from kamalpy.commands.env_file import select_env

    resolved = {"MAIN_DB_PASSWORD": Sensitive("pw"), "TOKEN": Sensitive("t")}
    env = select_env([("DB_PASSWORD", "MAIN_DB_PASSWORD"), ("TOKEN", "TOKEN")], resolved)
    assert render_env_file(env) == b"DB_PASSWORD=pw\nTOKEN=t\n"
    with pytest.raises(SecretsError, match="env X: secret MISSING"):
        select_env([("X", "MISSING")], resolved)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("x" * (MAX_LINE_BYTES - 2), None),  # L=... is exactly the limit
        ("x" * (MAX_LINE_BYTES - 1), MAX_LINE_BYTES + 1),  # one byte over
        ("é" * 32766 + "x", None),  # bytes, not characters, count: 2 + 65532 + 1
        ("é" * 32767, MAX_LINE_BYTES + 1),  # 32769 characters, 65536 bytes
    ],
)
def test_the_line_limit_is_docker_s_on_both_sides(value: str, size: int | None) -> None:
    problem = env_file_problem("L", value)
    if size is None:
        assert problem is None
    else:
        assert problem == f"NAME=value is {size} bytes; Docker's env-file lines stop at 65535"


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("A B", "x", "its name is not a valid environment variable name"),
        ("A", "two\nlines", "it contains a newline, which Docker's env-file format cannot carry"),
        ("A", "nul\0", "it contains a NUL byte, which no environment variable can hold"),
        ("A", "ends\r", "it ends with a carriage return, which Docker's env-file parser drops"),
        ("A", "\ud800", "it is not valid Unicode text (a lone surrogate)"),
        ("A", "fine\r ", None),
    ],
)
def test_each_problem_is_said_in_full(name: str, value: str, problem: str | None) -> None:
    assert env_file_problem(name, value) == problem


@pytest.mark.parametrize(
    ("sources", "label"),
    [
        (None, "secret TOKEN"),
        ({"TOKEN": "TOKEN"}, "secret TOKEN"),
        ({"TOKEN": "API_TOKEN_V2"}, "secret API_TOKEN_V2 (env TOKEN)"),
        ({"OTHER": "X"}, "secret TOKEN"),
    ],
)
def test_the_refusal_names_the_secret_and_its_env_name_and_says_what_to_do(
    sources: dict[str, str] | None, label: str
) -> None:
    with pytest.raises(SecretsError) as error:
        render_env_file({"TOKEN": Sensitive("a\nb")}, sources)
    assert error.value.message == (
        f"{label} cannot be passed to the container exactly: "
        "it contains a newline, which Docker's env-file format cannot carry"
    )
    assert error.value.hint == (
        "store the value in a form without that character (e.g. base64) "
        "and decode it in the container"
    )
