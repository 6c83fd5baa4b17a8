from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kamalpy.errors import SecretsError
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import load_identity, write_new_identity


def test_kamalpy_identity_wins_over_files(tmp_path: Path) -> None:
    key = AgeIdentity.generate()
    write_new_identity(tmp_path / ".config/kamalpy/identity.txt", "now")
    identity = load_identity({"KAMALPY_IDENTITY": key.encode()}, tmp_path)
    assert identity.keys == (key,) and identity.source == "$KAMALPY_IDENTITY"


def test_identity_file_variable_then_home_default(tmp_path: Path) -> None:
    explicit = write_new_identity(tmp_path / "ci.txt", "now")
    default = write_new_identity(tmp_path / ".config/kamalpy/identity.txt", "now")
    env = {"KAMALPY_IDENTITY_FILE": str(tmp_path / "ci.txt")}
    assert load_identity(env, tmp_path).keys == (explicit,)
    assert load_identity({}, tmp_path).keys == (default,)


def test_keygen_file_is_0600_in_a_0700_folder_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "home/.config/kamalpy/identity.txt"
    identity = write_new_identity(path, "2026-01-01")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert f"# public key: {identity.recipient()}" in path.read_text()
    with pytest.raises(SecretsError, match="already exists"):
        write_new_identity(path, "later")


def test_missing_identity_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(SecretsError) as error:
        load_identity({}, tmp_path)
    assert "kamalpy secrets keygen" in error.value.render()


def test_a_broken_identity_line_is_named_but_not_echoed(tmp_path: Path) -> None:
    good = AgeIdentity.generate().encode()
    bad = good[:-1] + ("Q" if good[-1] != "Q" else "P")  # always a different checksum char
    with pytest.raises(SecretsError) as error:
        load_identity({"KAMALPY_IDENTITY": f"# comment\n{bad}\n"}, tmp_path)
    assert "$KAMALPY_IDENTITY:2" in error.value.message
    assert bad not in error.value.render()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_an_identity_file_others_may_read_is_refused_with_the_fix(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / ".config/kamalpy/identity.txt"
    write_new_identity(path, "now")
    path.chmod(mode)
    with pytest.raises(SecretsError, match=f"permissions {mode:04o} are too open") as refused:
        load_identity({}, tmp_path)
    assert refused.value.hint == f"chmod 600 {path}"
    path.chmod(0o600)
    assert len(load_identity({}, tmp_path).keys) == 1
