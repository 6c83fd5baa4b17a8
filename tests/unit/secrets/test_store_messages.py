"""The store's and the members' messages in full: which file, which names, what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.errors import SecretsError
from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.store import load_policy
from tests.unit.secrets.conftest import Repo, identity
from tests.unit.secrets.test_access import append_member

FILE = "secrets/web/default.secrets"


def refused(call: object, *args: object, **kwargs: object) -> SecretsError:
    with pytest.raises(SecretsError) as error:
        call(*args, **kwargs)  # type: ignore[operator]
    return error.value


def test_missing_names_and_files_are_named(repo: Repo) -> None:
    assert refused(api.rotate, repo.root, "web", None, repo.alice).message == (
        f"{FILE}: no such secrets file"
    )
    assert refused(api.get_secrets, repo.root, "web", None, repo.alice).message == (
        f"{FILE}: no such secrets file"
    )
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    error = refused(api.unset_secrets, repo.root, "web", None, ["X", "A", "Y"], repo.alice)
    assert error.message == f"{FILE}: no secret named X, Y"


@pytest.mark.parametrize(
    ("destination", "hint"),
    [
        (None, "add it with `kamalpy secrets set web NAME`"),
        ("prod", "add it with `kamalpy secrets set web NAME -d prod`"),
    ],
)
def test_a_deploy_missing_secrets_says_where_it_looked(
    repo: Repo, destination: str | None, hint: str
) -> None:
    api.set_secrets(repo.root, "common", destination, {"B": "b"}, repo.alice)
    error = refused(api.resolve_secrets, repo.root, "web", destination, ["B", "Z", "A"], repo.alice)
    file = f"{destination or 'default'}.secrets"
    assert error.message == (
        "secret(s) A, Z for service 'web' not found; searched "
        f"secrets/web/{file} (absent), secrets/common/{file}"
    )
    assert error.hint == hint


def test_a_repository_without_secrets_needs_no_recipients_file(tmp_path: Path) -> None:
    error = refused(api.resolve_secrets, tmp_path, "web", None, ["A"], identity("x"))
    assert error.message == (
        "secret(s) A for service 'web' not found; searched "
        "secrets/web/default.secrets (absent), secrets/common/default.secrets (absent)"
    )
    assert api.resolve_secrets(tmp_path, "web", None, [], identity("x"), warn=print) == {}


def test_a_deploy_warns_once_per_file_the_policy_would_widen(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    warnings: list[str] = []
    assert api.resolve_secrets(repo.root, "web", None, ["A"], repo.alice, warn=warnings.append)
    assert warnings == []
    append_member(repo.root, "carol", str(AgeIdentity.generate().recipient()))
    append_member(repo.root, "bob", str(repo.bob.recipients()[0]))
    api.resolve_secrets(repo.root, "web", None, ["A"], repo.alice, warn=warnings.append)
    assert warnings == [
        f"{FILE}: secrets/recipients.yml would also let bob, carol read it, but the file does "
        "not (yet): review that change, then `kamalpy secrets recipients sync`"
    ]


def test_add_and_remove_report_what_each_file_got(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    bob = str(repo.bob.recipients()[0])
    added = members.add_recipient(repo.root, "bob", bob, [], repo.alice)
    assert added == [members.Change(FILE, "data key re-wrapped")]
    assert [m.access for m in load_policy(repo.root).members] == [("*",), ("*",)]
    removed = members.remove_recipient(repo.root, "bob", repo.alice)
    assert removed == [members.Change(FILE, "new data key, all values re-encrypted")]
    error = refused(members.remove_recipient, repo.root, "bob", repo.alice)
    assert error.message == "secrets/recipients.yml: no recipient named bob"


def test_a_hand_edited_policy_blocks_add_and_sync_of_another_change(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    bob = str(repo.bob.recipients()[0])
    append_member(repo.root, "bob", bob)
    error = refused(
        members.add_recipient, repo.root, "carol", str(AgeIdentity.generate().recipient()), ["*"],
        repo.alice,
    )  # fmt: skip
    assert error.message == (
        "secrets/recipients.yml already differs from the files (edited by hand?), and this "
        f"would apply that too:\n{FILE}:\n  + bob ({bob}) gains access"
    )
    assert error.hint == (
        "review it with `kamalpy secrets recipients sync` (or restore recipients.yml from git), "
        "then run this again"
    )
    error = refused(members.sync, repo.root, repo.alice, [])
    assert error.message == (
        "the recipients changed since the change was shown (secrets/ was modified meanwhile); "
        "nothing was written"
    )
    assert error.hint == "run `kamalpy secrets recipients sync` again and review the new change"


def test_verify_reports_each_problem_in_full(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    bob, carol = str(repo.bob.recipients()[0]), str(AgeIdentity.generate().recipient())
    append_member(repo.root, "bob", bob)
    append_member(repo.root, "carol", carol)
    report = members.verify(repo.root, repo.alice)
    assert report.problems == [
        f"{FILE}: recipients differ from secrets/recipients.yml:\n"
        f"  + bob ({bob}) gains access\n  + carol ({carol}) gains access\n"
        "  (review, then `kamalpy secrets recipients sync`)"
    ]
    assert (report.verified, report.structure_only) == ([FILE], [])
    stranger = members.verify(repo.root, identity("stranger"))
    assert (stranger.verified, stranger.structure_only) == ([], [FILE])
    nobody = members.verify(repo.root, None)
    assert (nobody.verified, nobody.structure_only) == ([], [FILE])


def test_verify_with_an_unreadable_policy_still_checks_every_file(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    (repo.root / "secrets" / "recipients.yml").write_text("recipients: [a list]\n")
    report = members.verify(repo.root, repo.alice)
    assert report.problems == [
        "secrets/recipients.yml: recipients: should be a mapping of name to key and access"
    ]
    assert report.verified == [FILE]


def test_a_file_kept_from_a_removed_member_is_refused_naming_the_file(repo: Repo) -> None:
    bob = str(repo.bob.recipients()[0])
    members.add_recipient(repo.root, "bob", bob, ["*"], repo.alice)
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    kept = repo.file("web").read_text()
    members.remove_recipient(repo.root, "bob", repo.alice)
    repo.file("web").write_text(kept)  # an older copy restored
    error = refused(api.resolve_secrets, repo.root, "web", None, ["A"], repo.alice)
    assert error.message.startswith(f"{FILE}: still readable by bob ({bob}), whom ")


def test_a_file_moved_from_another_scope_names_line_2(repo: Repo) -> None:
    from kamalpy.secrets.crypto import FileIdentity
    from kamalpy.secrets.store import read_secrets

    api.set_secrets(repo.root, "api", None, {"A": "1"}, repo.alice)
    repo.file("web").parent.mkdir(parents=True)
    repo.file("web").write_text(repo.file("api").read_text())
    error = refused(read_secrets, repo.root, repo.file("web"), FileIdentity("web", "default"))
    assert error.message == (
        f"{FILE}:2: file identity says scope 'api' destination 'default', but its path means "
        "scope 'web' destination 'default' (edited, or moved from another file)"
    )


def test_the_diff_view_of_a_damaged_file_says_why_under_its_own_name() -> None:
    from kamalpy.secrets.textconv import textconv

    assert textconv("kamalpy-secrets: v1\n", "web.secrets") == (
        "# web.secrets: not a valid kamalpy secrets file: web.secrets: file is truncated (it "
        "ends before the mac line)\n"
    )


def test_an_access_refusal_lists_every_member_on_its_own_line() -> None:
    from kamalpy.secrets.access import AccessChange, differs_error

    change = AccessChange(FILE, (("bob", "age1b"), ("carol", "age1c")), (("dan", "age1d"),))
    assert differs_error(change).message.endswith(
        "it would change who can read it:\n  + bob (age1b) gains access\n"
        "  + carol (age1c) gains access\n  - dan (age1d) loses access"
    )


POLICY = "secrets/recipients.yml"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "  b b:\n    key: K\n",
            f"{POLICY}: recipients/b b: name should be letters, digits, '.', '_', '@', '-'",
        ),
        ("  bob: K\n", f"{POLICY}: recipients/bob: should be a mapping with key and access"),
        (
            "  bob:\n    key: 5\n",
            f"{POLICY}: recipients/bob/key: should be an age1… public key "
            "(not an age recipient (missing separator or checksum))",
        ),
        (
            "  bob:\n    key: K\n    access: ['']\n",
            f"{POLICY}: recipients/bob/access: should be a list of SCOPE or SCOPE/DESTINATION",
        ),
        (
            "  bob:\n    key: K\n    access: 5\n",
            f"{POLICY}: recipients/bob/access: should be a list of SCOPE or SCOPE/DESTINATION",
        ),
    ],
    ids=["bad name", "not a mapping", "key not text", "empty access", "access not a list"],
)
def test_each_bad_member_is_named_with_its_key(repo: Repo, entry: str, message: str) -> None:
    path = repo.root / POLICY
    key = str(repo.bob.recipients()[0])
    path.write_text(path.read_text() + entry.replace(" K\n", f" {key}\n"))
    assert refused(load_policy, repo.root).message == message


def test_a_single_access_pattern_may_be_written_as_text(repo: Repo) -> None:
    path = repo.root / POLICY
    path.write_text(path.read_text() + f"  bob:\n    key: {repo.bob.recipients()[0]}\n"
                    "    access: web\n")  # fmt: skip
    assert load_policy(repo.root).members[1].access == ("web",)


def test_policy_file_refusals(tmp_path: Path) -> None:
    error = refused(load_policy, tmp_path)
    assert (error.message, error.hint) == (
        f"{POLICY} does not exist",
        "run `kamalpy secrets init` first",
    )
    (tmp_path / "secrets").mkdir()
    (tmp_path / POLICY).write_text("- a list\n")
    assert refused(load_policy, tmp_path).message == (
        f"{POLICY}: recipients: should be a mapping of name to key and access"
    )
    (tmp_path / POLICY).write_text("recipients: [\n")
    assert refused(load_policy, tmp_path).message.startswith(f"{POLICY}: not valid YAML: ")


def test_init_appends_the_diff_driver_to_gitattributes_once(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_text("*.png binary")
    done = members.init(tmp_path, "alice", AgeIdentity.generate().recipient())
    assert done == [POLICY, ".gitattributes"]
    expected = "*.png binary\nsecrets/**/*.secrets text eol=lf diff=kamalpy-secrets\n"
    assert (tmp_path / ".gitattributes").read_text() == expected
    assert members.init(tmp_path, "bob", AgeIdentity.generate().recipient()) == []
    assert (tmp_path / ".gitattributes").read_text() == expected


def test_writes_that_nobody_may_read_or_that_hold_the_key_are_refused(repo: Repo) -> None:
    (repo.root / POLICY).write_text(
        f"recipients:\n  alice:\n    key: {repo.alice.recipients()[0]}\n    access: [api]\n"
    )
    error = refused(api.set_secrets, repo.root, "web", "prod", {"A": "1"}, repo.alice)
    assert (error.message, error.hint) == (
        "nobody in secrets/recipients.yml may read web/prod",
        "add an access pattern for it with `kamalpy secrets recipients add`",
    )
    own = f"x{repo.alice.keys[0].encode().lower()}"
    error = refused(api.set_secrets, repo.root, "api", None, {"B": own}, repo.alice)
    assert (error.message, error.hint) == (
        "B: the value holds your kamalpy identity (the private key that opens this store); it "
        "is never stored as a secret",
        "give the service a key of its own",
    )


def test_an_ordinary_write_refused_for_access_names_the_file(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    append_member(repo.root, "bob", str(repo.bob.recipients()[0]))
    error = refused(api.set_secrets, repo.root, "web", None, {"A": "2"}, repo.alice)
    assert error.message.startswith(f"{FILE}: its recipients differ from {POLICY}")


def test_labels_are_checked_by_kind(tmp_path: Path) -> None:
    from kamalpy.secrets.store import file_identity, write_atomically

    assert refused(file_identity, "web", "a b").message == (
        "invalid destination 'a b': use letters, digits, '.', '_', '-'"
    )
    assert refused(file_identity, "a/b", None).message == (
        "invalid scope 'a/b': use letters, digits, '.', '_', '-'"
    )
    write_atomically(tmp_path / "new" / "deeper" / "file.txt", "x")
    assert (tmp_path / "new" / "deeper" / "file.txt").read_text() == "x"
