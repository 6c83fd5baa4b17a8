from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamalpy.cli.main import main
from kamalpy.errors import ExitCode
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.members import Verification


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


def _output(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


def _no_identity(monkeypatch: pytest.MonkeyPatch, repo: Path) -> None:
    monkeypatch.delenv("KAMALPY_IDENTITY")
    monkeypatch.setenv("HOME", str(repo / "nohome"))


@pytest.mark.parametrize("who", ["none", "wrong"])
def test_verify_that_could_not_check_a_mac_fails_unless_structure_only(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], who: str
) -> None:
    set_value(monkeypatch, b"x")
    capsys.readouterr()
    if who == "none":
        _no_identity(monkeypatch, repo)
    else:
        monkeypatch.setenv("KAMALPY_IDENTITY", AgeIdentity.generate().encode())
    assert main(["secrets", "verify"]) == ExitCode.BAD_INPUT
    err = _output(capsys)
    assert "0 file(s) verified, 1 checked for structure only" in err
    assert "all files verified" not in err
    assert main(["secrets", "verify", "--structure-only"]) == ExitCode.OK


def test_verify_with_the_right_identity_says_what_it_verified(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_value(monkeypatch, b"x")
    capsys.readouterr()
    assert main(["secrets", "verify"]) == ExitCode.OK
    err = _output(capsys)
    assert "secrets/web/prod.secrets: verified (MAC and every value)" in err
    assert "1 file(s) verified, 0 checked for structure only, 0 problem(s)" in err


def _hand_add(repo: Path, name: str) -> str:
    key = str(AgeIdentity.generate().recipient())
    policy = repo / "secrets" / "recipients.yml"
    policy.write_text(policy.read_text() + f"  {name}:\n    key: {key}\n")
    return key


def test_set_after_a_hand_added_key_exits_2_naming_who_would_gain_access(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_value(monkeypatch, b"x")
    key = _hand_add(repo, "mallory")
    capsys.readouterr()
    assert set_value(monkeypatch, b"y") == ExitCode.BAD_INPUT
    err = _output(capsys)
    assert f"+ mallory ({key}) gains access" in err and "recipients sync" in err


def test_sync_shows_the_change_and_needs_yes_off_a_terminal(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_value(monkeypatch, b"x")
    _hand_add(repo, "carol")
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", FakeStdin(b"y\n"))
    assert main(["secrets", "recipients", "sync"]) == ExitCode.BAD_INPUT
    err = _output(capsys)
    assert "secrets/web/prod.secrets:\n  + carol" in err and "--yes" in err
    assert main(["secrets", "recipients", "sync", "--yes"]) == ExitCode.OK
    assert "data key re-wrapped" in _output(capsys)
    assert set_value(monkeypatch, b"y") == ExitCode.OK


def test_a_new_file_says_who_can_read_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_value(monkeypatch, b"x")
    assert "prod.secrets: new file, readable by me (age1" in _output(capsys)
    set_value(monkeypatch, b"y")
    assert "new file" not in _output(capsys)


@pytest.mark.parametrize("line", ["B=$KAMALPY_IDENTITY", 'B="${KAMALPY_IDENTITY}"'])
def test_import_refuses_to_store_the_identity(
    repo: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    (repo / "dotenv").write_text(f"A=1\n{line}\n")
    assert main(["secrets", "import", "web", "dotenv"]) == ExitCode.BAD_INPUT
    assert "dotenv:2: refers to $KAMALPY_IDENTITY" in _output(capsys)
    assert not (repo / "secrets" / "web").exists()


def test_no_child_inherits_the_identity_while_kamalpy_runs(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = os.environ["KAMALPY_IDENTITY"]
    seen: list[str | None] = []
    monkeypatch.setattr(
        "kamalpy.cli.secrets_cmd.members.verify",
        lambda root, who: seen.append(os.environ.get("KAMALPY_IDENTITY")) or Verification(),
    )
    assert main(["secrets", "verify"]) == ExitCode.OK
    assert seen == [None] and os.environ["KAMALPY_IDENTITY"] == key
