from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamalpy.cli.main import main
from kamalpy.errors import ExitCode
from kamalpy.secrets.age import AgeIdentity


class FakeStdin(io.TextIOWrapper):
    """A non-tty stdin holding bytes, as when a value is piped in."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")

    def isatty(self) -> bool:
        return False


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    key = AgeIdentity.generate()
    monkeypatch.setenv("KAMALPY_IDENTITY", key.encode())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["secrets", "init", "--name", "me"]) == ExitCode.OK
    return tmp_path


def set_value(monkeypatch: pytest.MonkeyPatch, data: bytes, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", FakeStdin(data))
    return main(["secrets", "set", "web", "TOKEN", "-d", "prod", *extra])


@pytest.mark.parametrize(
    ("piped", "flags", "stored"),
    [
        (b"s3cret\n", (), "s3cret"),
        (b"two\nlines\n", ("--keep-newline",), "two\nlines\n"),
        ("é = \"#'".encode(), (), "é = \"#'"),
        (b"", (), ""),
    ],
)
def test_set_reads_stdin_and_get_prints_it_exactly(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    piped: bytes,
    flags: tuple[str, ...],
    stored: str,
) -> None:
    assert set_value(monkeypatch, piped, *flags) == ExitCode.OK
    capsys.readouterr()
    assert main(["secrets", "get", "web", "TOKEN", "-d", "prod"]) == ExitCode.OK
    assert capsys.readouterr().out == stored


def test_set_has_no_value_argument(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["secrets", "set", "web", "TOKEN", "the-value"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_list_and_textconv_show_names_not_values(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_value(monkeypatch, b"very-secret-value")
    capsys.readouterr()
    monkeypatch.delenv("KAMALPY_IDENTITY")
    assert main(["secrets", "list", "web", "-d", "prod"]) == ExitCode.OK
    assert main(["secrets", "textconv", "secrets/web/prod.secrets"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "TOKEN\n" in out and "TOKEN = [encrypted " in out and "very-secret" not in out


def test_recipients_remove_warns_to_change_the_real_secrets(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_value(monkeypatch, b"x")
    bob = str(AgeIdentity.generate().recipient())
    assert main(["secrets", "recipients", "add", "bob", bob, "--access", "web"]) == ExitCode.OK
    assert main(["secrets", "recipients", "remove", "bob"]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "bob could read the values in secrets/web/prod.secrets" in err
    assert "change those passwords" in err


def test_bad_recipient_key_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secrets", "recipients", "add", "bob", "age1nope"]) == ExitCode.BAD_INPUT
    assert "recipient bob" in capsys.readouterr().err


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=st.text(st.characters(exclude_categories=("Cs",)), max_size=300))
def test_any_value_round_trips_through_cli_set_and_get(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    assert set_value(monkeypatch, value.encode("utf-8"), "--keep-newline") == ExitCode.OK
    capsys.readouterr()
    assert main(["secrets", "get", "web", "TOKEN", "-d", "prod"]) == ExitCode.OK
    assert capsys.readouterr().out == value
