from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamalpy.errors import SecretsError
from kamalpy.secrets import api
from kamalpy.secrets.crypto import FileIdentity
from kamalpy.secrets.edit import edit_secrets, parse_editable, render_editable, sweep_stale
from tests.unit.secrets.conftest import Repo, property_settings

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@property_settings(100)
@given(st.dictionaries(NAMES, st.text(max_size=80), max_size=8))
def test_editable_text_round_trips_any_values(values: dict[str, str]) -> None:
    assert parse_editable(render_editable(FileIdentity("web", "prod"), values)) == values


def test_simple_values_are_shown_unquoted() -> None:
    text = render_editable(FileIdentity("web", "prod"), {"A": "p@ss=#word", "B": " x", "C": "a\nb"})
    assert "A=p@ss=#word\n" in text and 'B=" x"\n' in text and 'C="a\\nb"\n' in text


def editor(*texts: str, seen: list[Path] | None = None) -> Callable[[Path], int]:
    """An editor that replaces the file with each text in turn."""
    queue = list(texts)

    def launch(path: Path) -> int:
        if seen is not None:
            seen.append(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        path.write_text(queue.pop(0))
        return 0

    return launch


def test_edit_saves_only_changed_values(repo: Repo, tmp_path: Path) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1", "B": "2"}, repo.alice)
    before = repo.file("web").read_text().splitlines()
    seen: list[Path] = []
    result = edit_secrets(
        repo.root, "web", None, repo.alice, editor("A=1\nB=3\nC=new\n", seen=seen)
    )
    assert (result.added, result.changed, result.removed) == (("C",), ("B",), ())
    after = repo.file("web").read_text().splitlines()
    assert [x for x in before if x.startswith("A:")] == [x for x in after if x.startswith("A:")]
    assert not seen[0].exists() and not seen[0].parent.exists()


def test_parse_error_reopens_the_editor_with_the_error_on_top(repo: Repo) -> None:
    shown: list[str] = []

    def launch(path: Path) -> int:
        shown.append(path.read_text())
        path.write_text("bad line\n" if len(shown) == 1 else "A=fixed\n")
        return 0

    edit_secrets(repo.root, "web", None, repo.alice, launch)
    assert shown[1].startswith("# ERROR: line 1: expected NAME=value") and "bad line" in shown[1]
    assert api.get_secrets(repo.root, "web", None, repo.alice)["A"].reveal() == "fixed"


def test_failing_editor_changes_nothing_and_removes_the_plaintext(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    before = repo.file("web").read_bytes()
    seen: list[Path] = []

    def launch(path: Path) -> int:
        seen.append(path)
        path.write_text("A=2\n")
        return 1

    with pytest.raises(SecretsError, match="editor exited with status 1"):
        edit_secrets(repo.root, "web", None, repo.alice, launch)
    assert repo.file("web").read_bytes() == before
    assert not seen[0].parent.exists()


def test_interrupt_while_editing_removes_the_plaintext(repo: Repo) -> None:
    seen: list[Path] = []

    def launch(path: Path) -> int:
        seen.append(path)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        edit_secrets(repo.root, "web", None, repo.alice, launch)
    assert not seen[0].parent.exists()


def test_crlf_from_an_editor_adds_no_hidden_carriage_return() -> None:
    text = render_editable(FileIdentity("web", "prod"), {"A": "x", "B": "y\r"})
    assert parse_editable(text.replace("\n", "\r\n")) == {"A": "x", "B": "y\r"}
    assert parse_editable("A=1\r\nB=two words\r\n") == {"A": "1", "B": "two words"}


def test_edit_folders_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "4242").mkdir()
    shm = tmp_path / "shm"
    dead = shm / "kamalpy-secrets-999999-abc_12"
    live = shm / "kamalpy-secrets-4242-xyz"
    other = shm / "kamalpy-secrets-notapid"
    for folder in (dead, live, other):
        folder.mkdir(parents=True)
        (folder / "web-prod.env").write_text("A=plaintext\n")
    assert sweep_stale(shm, proc) == [dead]
    assert not dead.exists() and live.exists() and other.exists()


def test_edit_names_its_folder_after_its_process_so_it_can_be_swept(
    repo: Repo, tmp_path: Path
) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    seen: list[Path] = []
    edit_secrets(repo.root, "web", None, repo.alice, editor("A=1\n", seen=seen), tmp_path)
    assert seen[0].parent.name.startswith(f"kamalpy-secrets-{os.getpid()}-")


def test_edit_refuses_before_the_editor_when_the_policy_differs(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    policy = repo.root / "secrets" / "recipients.yml"
    policy.write_text(policy.read_text() + f"  bob:\n    key: {repo.bob.recipients()[0]}\n")
    seen: list[Path] = []
    with pytest.raises(SecretsError, match=r"\+ bob"):
        edit_secrets(repo.root, "web", None, repo.alice, editor("A=2\n", seen=seen))
    assert seen == []
