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


def test_the_editor_header_explains_the_format_word_for_word() -> None:
    assert render_editable(FileIdentity("web", "prod"), {"B": "2", "A": "1"}) == (
        "# kamalpy secrets web/prod: one NAME=value per line.\n"
        "# A value with newlines, tabs, or leading/trailing spaces, or starting with a quote,\n"
        '# is a JSON string: NAME="two\\nlines". Lines starting with # are ignored.\n'
        "# Save and quit to encrypt; quit with an error (vim: :cq) to cancel.\n"
        "A=1\nB=2\n"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("XY\u00a0\u00a1é😀", "XY\u00a0\u00a1é😀"),  # printable beyond ASCII stays as typed
        ("\u009f", '"\u009f"'),  # a C1 control character is quoted
        ("é\n", '"é\\n"'),  # quoted, non-ASCII kept readable
        ("a\u2028b", '"a\u2028b"'),
        ('"x', '"\\"x"'),
    ],
)
def test_values_are_quoted_exactly_when_the_plain_form_would_be_ambiguous(
    value: str, shown: str
) -> None:
    text = render_editable(FileIdentity("web", "prod"), {"A": value})
    assert text.split("\n")[-2] == f"A={shown}"
    assert parse_editable(text) == {"A": value}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1A=x\n", "line 1: expected NAME=value (NAME is letters, digits, _)"),
        ("A\n", "line 1: expected NAME=value (NAME is letters, digits, _)"),
        ("A=1\n\nA=2\n", "line 3: A is set twice"),
        ('A="x\n', "line 1: bad quoted value (Unterminated string starting at)"),
        ('# c\nA="x" y\n', "line 2: bad quoted value (Extra data)"),
    ],
)
def test_parse_errors_name_the_line_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(SecretsError) as refused:
        parse_editable(text)
    assert refused.value.message == message


def test_indented_comments_and_blank_lines_are_ignored() -> None:
    assert parse_editable("  # a comment\n\t\n   \nA=1\n") == {"A": "1"}


def test_edit_parent_is_tmpfs_when_it_is_a_writable_folder_else_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from kamalpy.secrets import edit

    monkeypatch.setattr(edit, "SHARED_MEMORY", tmp_path)
    assert edit.edit_parent() == tmp_path
    assert edit.edit_parent(tmp_path / "given") == tmp_path / "given"
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(edit, "SHARED_MEMORY", not_a_folder)
    assert edit.edit_parent() == Path(tempfile.gettempdir())


def test_a_file_named_like_an_edit_folder_is_not_swept(tmp_path: Path) -> None:
    (tmp_path / "proc" / "self").mkdir(parents=True)
    (tmp_path / "shm").mkdir()
    stray = tmp_path / "shm" / "kamalpy-secrets-999999-abc"
    stray.write_text("not ours to remove")
    assert sweep_stale(tmp_path / "shm", tmp_path / "proc") == []
    assert stray.exists()


def test_edit_of_a_destination_file_in_a_given_folder_sweeps_that_folder(
    repo: Repo, tmp_path: Path
) -> None:
    (tmp_path / "parent").mkdir()
    dead = tmp_path / "parent" / "kamalpy-secrets-999999-old"
    dead.mkdir()
    api.set_secrets(repo.root, "web", "prod", {"A": "1", "B": "2"}, repo.alice)
    seen: list[Path] = []
    result = edit_secrets(
        repo.root, "web", "prod", repo.alice, editor("A=1\n", seen=seen), tmp_path / "parent"
    )
    assert (result.path, result.added, result.changed, result.removed) == (
        "secrets/web/prod.secrets",
        (),
        (),
        ("B",),
    )
    assert seen[0].name == "web-prod.env" and seen[0].parent.parent == tmp_path / "parent"
    assert not dead.exists()
    assert list(api.get_secrets(repo.root, "web", "prod", repo.alice)) == ["A"]


def test_saving_an_empty_file_removes_every_value(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    result = edit_secrets(repo.root, "web", None, repo.alice, editor(""))
    assert result.removed == ("A",)
    assert api.get_secrets(repo.root, "web", None, repo.alice) == {}


def test_an_unfixed_parse_error_gives_up_showing_the_error_over_the_whole_text(
    repo: Repo,
) -> None:
    shown: list[str] = []

    def launch(path: Path) -> int:
        shown.append(path.read_text())
        if len(shown) == 1:
            path.write_text("A=1\nbad line\nB=2\n")
        return 0  # the second time: saved without fixing anything

    with pytest.raises(SecretsError) as refused:
        edit_secrets(repo.root, "web", None, repo.alice, launch)
    assert refused.value.message == (
        "the parse error was not fixed; secrets/web/default.secrets is unchanged"
    )
    assert shown[1] == (
        "# ERROR: line 2: expected NAME=value (NAME is letters, digits, _) (fix it, or quit "
        "with an error)\nA=1\nbad line\nB=2\n"
    )
    assert not repo.file("web").exists()


def test_a_failing_editor_names_its_status_and_the_unchanged_file(repo: Repo) -> None:
    with pytest.raises(SecretsError) as refused:
        edit_secrets(repo.root, "web", "prod", repo.alice, lambda path: 3)
    assert refused.value.message == (
        "editor exited with status 3; secrets/web/prod.secrets is unchanged"
    )
