"""Every hand edit of a secrets file is refused with the file, what failed, and exit 2."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from kamalpy.cli.main import main
from kamalpy.errors import ExitCode
from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from tests.unit.secrets.conftest import Repo, identity

FILE = "secrets/web/prod.secrets"
Edit = Callable[[list[str], Repo], list[str]]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _index(lines: list[str], name: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(f"{name}: "))


def flip_bit(name: str, byte: int) -> Edit:
    def edit(lines: list[str], repo: Repo) -> list[str]:
        i = _index(lines, name)
        raw = bytearray(_unb64(lines[i].split(": ")[1]))
        raw[byte % len(raw)] ^= 0x01
        lines[i] = f"{name}: {_b64(bytes(raw))}"
        return lines

    return edit


def swap(lines: list[str], repo: Repo) -> list[str]:
    a, b = _index(lines, "ALPHA"), _index(lines, "BRAVO")
    ca, cb = lines[a].split(": ")[1], lines[b].split(": ")[1]
    lines[a], lines[b] = f"ALPHA: {cb}", f"BRAVO: {ca}"
    return lines


def moved_from_other_file(lines: list[str], repo: Repo) -> list[str]:
    other = repo.file("web", "staging").read_text().splitlines()
    lines[_index(lines, "BRAVO")] = other[_index(other, "BRAVO")]
    return lines


def drop_value_line(lines: list[str], repo: Repo) -> list[str]:
    del lines[_index(lines, "BRAVO")]
    return lines


def drop_recipient_line(lines: list[str], repo: Repo) -> list[str]:
    return [line for line in lines if not line.startswith("recipient: bob ")]


def add_value_line(lines: list[str], repo: Repo) -> list[str]:
    lines.insert(_index(lines, "ALPHA"), "AAA: " + lines[_index(lines, "ALPHA")].split(": ")[1])
    return lines


def add_junk_line(lines: list[str], repo: Repo) -> list[str]:
    lines.insert(_index(lines, "BRAVO"), "# a comment")
    return lines


def add_recipient(lines: list[str], repo: Repo) -> list[str]:
    mallory = AgeIdentity.generate().recipient()
    lines.insert(3, f"recipient: mallory {mallory}")
    return lines


def replace_recipient_key(lines: list[str], repo: Repo) -> list[str]:
    i = next(i for i, line in enumerate(lines) if line.startswith("recipient: bob "))
    lines[i] = f"recipient: bob {AgeIdentity.generate().recipient()}"
    return lines


def edit_scope(lines: list[str], repo: Repo) -> list[str]:
    lines[1] = "scope: api"
    return lines


def edit_destination(lines: list[str], repo: Repo) -> list[str]:
    lines[2] = "destination: staging"
    return lines


def swap_mac(lines: list[str], repo: Repo) -> list[str]:
    other = repo.file("web", "staging").read_text().splitlines()
    lines[-1] = other[-1]
    return lines


CASES: list[tuple[str, Edit, str]] = [
    ("bit flip in ALPHA's salt", flip_bit("ALPHA", 0), "ALPHA (line"),
    ("bit flip in BRAVO's ciphertext", flip_bit("BRAVO", 30), "BRAVO (line"),
    ("bit flip in CHARLIE's tag", flip_bit("CHARLIE", -1), "CHARLIE (line"),
    ("two values swapped", swap, "ALPHA (line 1"),
    ("value moved from another file", moved_from_other_file, "BRAVO (line"),
    ("value line dropped", drop_value_line, "mac does not match"),
    ("recipient line dropped", drop_recipient_line, "wrapped for 2"),
    ("value line added", add_value_line, "AAA (line"),
    ("junk line added", add_junk_line, "expected `NAME: ciphertext`"),
    ("recipient added by hand", add_recipient, "lists 3 recipient(s)"),
    ("recipient key replaced by hand", replace_recipient_key, "mac does not match"),
    ("scope edited", edit_scope, "file identity says scope 'api'"),
    ("destination edited", edit_destination, "destination 'staging'"),
    ("mac taken from another file", swap_mac, "mac does not match"),
]


@pytest.fixture
def tampered_repo(repo: Repo) -> Repo:
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["web"], repo.alice)
    values = {"ALPHA": "a", "BRAVO": "b", "CHARLIE": "c"}
    api.set_secrets(repo.root, "web", "prod", values, repo.alice)
    api.set_secrets(repo.root, "web", "staging", values, repo.alice)
    return repo


def run_get(repo: Repo, key: AgeIdentity, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("KAMALPY_IDENTITY", key.encode())
    return main(["secrets", "-C", str(repo.root), "get", "web", "ALPHA", "-d", "prod"])


def assert_refused(
    repo: Repo,
    key: AgeIdentity,
    what: str,
    capsys: pytest.CaptureFixture[str],
    mp: pytest.MonkeyPatch,
) -> None:
    capsys.readouterr()
    assert run_get(repo, key, mp) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert FILE in captured.err and what in captured.err, captured.err
    assert captured.out == ""
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(("case", "edit", "what"), CASES, ids=[c[0] for c in CASES])
def test_hand_edit_is_refused_naming_file_and_failure(
    tampered_repo: Repo,
    case: str,
    edit: Edit,
    what: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tampered_repo.file("web", "prod")
    path.write_text("\n".join(edit(path.read_text().splitlines(), tampered_repo)) + "\n")
    assert_refused(tampered_repo, tampered_repo.alice.keys[0], what, capsys, monkeypatch)


def test_every_truncation_is_refused(
    tampered_repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tampered_repo.file("web", "prod")
    text = path.read_text()
    for cut in [*range(0, len(text) - 1, 37), len(text) - 1]:
        path.write_text(text[:cut])
        assert_refused(tampered_repo, tampered_repo.alice.keys[0], "", capsys, monkeypatch)
    path.write_text(text)
    assert run_get(tampered_repo, tampered_repo.alice.keys[0], monkeypatch) == ExitCode.OK


def test_wrong_key_is_refused(
    tampered_repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = identity("stranger").keys[0]
    assert_refused(tampered_repo, stranger, "wrong key", capsys, monkeypatch)


def test_untouched_file_reads_and_prints_the_value(
    tampered_repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_get(tampered_repo, tampered_repo.bob.keys[0], monkeypatch) == ExitCode.OK
    assert capsys.readouterr().out == "a"


def test_verify_without_identity_catches_structural_edits(
    tampered_repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path: Path = tampered_repo.file("web", "prod")
    path.write_text("\n".join(add_recipient(path.read_text().splitlines(), tampered_repo)) + "\n")
    monkeypatch.delenv("KAMALPY_IDENTITY", raising=False)
    monkeypatch.setenv("HOME", str(tampered_repo.root / "nohome"))
    assert main(["secrets", "-C", str(tampered_repo.root), "verify"]) == ExitCode.BAD_INPUT
    assert "lists 3 recipient(s)" in capsys.readouterr().err


def test_dropping_or_duplicating_any_single_line_is_refused(
    tampered_repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tampered_repo.file("web", "prod")
    lines = path.read_text().splitlines()
    for index in range(len(lines)):
        for edited in (
            lines[:index] + lines[index + 1 :],
            lines[: index + 1] + lines[index:],
        ):
            path.write_text("\n".join(edited) + "\n")
            assert_refused(tampered_repo, tampered_repo.alice.keys[0], "", capsys, monkeypatch)
