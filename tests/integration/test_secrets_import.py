"""`kamalpy secrets import` runs `$(command)` through the executor, with variables in its env."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.cli.main import main
from kamalpy.errors import ExitCode
from kamalpy.secrets import api
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import Identity

pytestmark = pytest.mark.integration


def test_import_substitutes_variables_and_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = AgeIdentity.generate()
    monkeypatch.setenv("KAMALPY_IDENTITY", key.encode())
    monkeypatch.setenv("FROM_ENV", "env-value")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    assert main(["secrets", "init", "--name", "me"]) == ExitCode.OK
    dotenv = tmp_path / "kamal-secrets"
    dotenv.write_text(
        "BASE=abc\n"
        'LENGTH=$(printf %s "$BASE" | wc -c)\n'
        'GREETING="hello $FROM_ENV"\n'
        "LITERAL='$(not run)'\n"
    )
    assert main(["secrets", "import", "web", str(dotenv), "-d", "prod"]) == ExitCode.OK
    values = api.get_secrets(tmp_path, "web", "prod", Identity((key,), "t"))
    assert {k: v.reveal().strip() for k, v in values.items()} == {
        "BASE": "abc",
        "LENGTH": "3",
        "GREETING": "hello env-value",
        "LITERAL": "$(not run)",
    }


def test_failing_command_names_it_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAMALPY_IDENTITY", AgeIdentity.generate().encode())
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    main(["secrets", "init", "--name", "me"])
    dotenv = tmp_path / "kamal-secrets"
    dotenv.write_text("A=$(exit 4)\n")
    assert main(["secrets", "import", "web", str(dotenv)]) == ExitCode.BAD_INPUT
    assert "$(exit 4) exited 4" in capsys.readouterr().err
    assert not (tmp_path / "secrets/web").exists()


def test_commands_never_see_the_identity_and_cannot_store_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = AgeIdentity.generate()
    monkeypatch.setenv("KAMALPY_IDENTITY", key.encode())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    main(["secrets", "init", "--name", "me"])
    dotenv = tmp_path / "kamal-secrets"
    dotenv.write_text("SEEN=$(printenv KAMALPY_IDENTITY || echo absent)\n")
    assert main(["secrets", "import", "web", str(dotenv)]) == ExitCode.OK
    values = api.get_secrets(tmp_path, "web", None, Identity((key,), "t"))
    assert values["SEEN"].reveal() == "absent"
    # an identity read some other way is still refused
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "key.txt").write_text(key.encode())
    dotenv.write_text('B=$(cat "$HOME/key.txt")\n')
    capsys.readouterr()
    assert main(["secrets", "import", "web", str(dotenv)]) == ExitCode.BAD_INPUT
    assert "holds your kamalpy identity" in capsys.readouterr().err
    assert key.encode() not in (tmp_path / "secrets/web/default.secrets").read_text()
