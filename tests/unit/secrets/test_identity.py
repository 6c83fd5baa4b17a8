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


def test_identity_refusals_in_full(tmp_path: Path) -> None:
    from kamalpy.secrets.identity import parse_identities

    with pytest.raises(SecretsError) as refused:
        load_identity({}, tmp_path)
    assert (refused.value.message, refused.value.hint) == (
        f"no identity: KAMALPY_IDENTITY is not set and {tmp_path}/.config/kamalpy/identity.txt "
        "does not exist",
        "create one with `kamalpy secrets keygen`, or set KAMALPY_IDENTITY in CI",
    )
    with pytest.raises(SecretsError) as refused:
        parse_identities("# only a comment\n\n", "keys.txt")
    assert refused.value.message == "keys.txt: holds no AGE-SECRET-KEY-1… identity"
    folder = tmp_path / "a-folder"
    folder.mkdir(mode=0o700)
    with pytest.raises(SecretsError) as refused:
        load_identity({"KAMALPY_IDENTITY_FILE": str(folder)}, tmp_path)
    assert refused.value.message == f"{folder}: cannot read identity: Is a directory"
    junk = tmp_path / "junk.txt"
    junk.write_text("# comment\nnot a key\n")
    junk.chmod(0o600)
    with pytest.raises(SecretsError) as refused:
        load_identity({"KAMALPY_IDENTITY_FILE": str(junk)}, tmp_path)
    assert refused.value.message == (f"{junk}:2: not an age identity (expected AGE-SECRET-KEY-1…)")
    junk.chmod(0o640)
    with pytest.raises(SecretsError) as refused:
        load_identity({"KAMALPY_IDENTITY_FILE": str(junk)}, tmp_path)
    assert refused.value.message == (
        f"{junk}: permissions 0640 are too open: this private key must be readable by you alone"
    )


def test_keygen_refuses_to_overwrite_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "identity.txt"
    key = write_new_identity(path, "2026-12-06")
    assert path.read_text() == (
        f"# created: 2026-12-06\n# public key: {key.recipient()}\n{key.encode()}\n"
    )
    with pytest.raises(SecretsError) as refused:
        write_new_identity(path, "later")
    assert (refused.value.message, refused.value.hint) == (
        f"{path} already exists; kamalpy never overwrites an identity",
        "move it away first if you really want a new key",
    )
