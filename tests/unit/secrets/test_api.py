from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.errors import SecretsError
from kamalpy.secrets import api, members
from kamalpy.secrets.store import find_root, load_policy
from kamalpy.sensitive import Sensitive
from tests.unit.secrets.conftest import Repo


def test_service_file_overrides_common(repo: Repo) -> None:
    api.set_secrets(repo.root, "common", "prod", {"SHARED": "c", "DB": "common-db"}, repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"DB": "web-db"}, repo.alice)
    got = api.resolve_secrets(repo.root, "web", "prod", ["DB", "SHARED"], repo.alice)
    assert got == {"DB": Sensitive("web-db"), "SHARED": Sensitive("c")}
    assert str(got["DB"]) == "[REDACTED]"


def test_missing_secret_names_the_secret_and_the_files_searched(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", "prod", {"DB": "x"}, repo.alice)
    with pytest.raises(SecretsError) as error:
        api.resolve_secrets(repo.root, "web", "prod", ["DB", "REDIS_URL"], repo.alice)
    message = error.value.message
    assert "REDIS_URL" in message and "DB," not in message
    assert "secrets/web/prod.secrets" in message
    assert "secrets/common/prod.secrets (absent)" in message


def test_no_destination_uses_the_default_file(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    assert repo.file("web", "default").exists()
    assert api.resolve_secrets(repo.root, "web", None, ["A"], repo.alice)["A"].reveal() == "1"


def test_list_needs_no_identity_and_names_are_sorted(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"B": "1", "A": "2"}, repo.alice)
    assert api.list_names(repo.root, "web", None) == ["A", "B"]


def test_removed_recipient_cannot_decrypt_and_the_other_still_can(repo: Repo) -> None:
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["*"], repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"TOKEN": "t0ken"}, repo.alice)
    assert api.get_secrets(repo.root, "web", "prod", repo.bob)["TOKEN"].reveal() == "t0ken"
    changes = members.remove_recipient(repo.root, "bob", repo.alice)
    assert [c.action for c in changes] == ["new data key, all values re-encrypted"]
    with pytest.raises(SecretsError, match="wrong key"):
        api.get_secrets(repo.root, "web", "prod", repo.bob)
    assert api.get_secrets(repo.root, "web", "prod", repo.alice)["TOKEN"].reveal() == "t0ken"
    assert [m.name for m in load_policy(repo.root).members] == ["alice"]


def test_adding_a_recipient_rewraps_without_touching_value_lines(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1", "B": "2"}, repo.alice)
    before = [x for x in repo.file("web").read_text().splitlines() if x.startswith(("A:", "B:"))]
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["web"], repo.alice)
    after = [x for x in repo.file("web").read_text().splitlines() if x.startswith(("A:", "B:"))]
    assert before == after
    assert api.get_secrets(repo.root, "web", None, repo.bob)["B"].reveal() == "2"


def test_access_patterns_limit_who_a_file_is_wrapped_for(repo: Repo) -> None:
    members.add_recipient(
        repo.root, "ci", str(repo.bob.recipients()[0]), ["web/prod", "common"], repo.alice
    )
    api.set_secrets(repo.root, "web", "staging", {"A": "1"}, repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"A": "1"}, repo.alice)
    with pytest.raises(SecretsError, match="wrong key"):
        api.get_secrets(repo.root, "web", "staging", repo.bob)
    assert api.get_secrets(repo.root, "web", "prod", repo.bob)["A"].reveal() == "1"


def test_unset_removes_and_refuses_unknown_names(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1", "B": "2"}, repo.alice)
    api.unset_secrets(repo.root, "web", None, ["A"], repo.alice)
    assert api.list_names(repo.root, "web", None) == ["B"]
    with pytest.raises(SecretsError, match="no secret named NOPE"):
        api.unset_secrets(repo.root, "web", None, ["NOPE"], repo.alice)


@pytest.mark.parametrize("bad", ["1ABC", "A-B", "A B", "", "É"])
def test_invalid_secret_names_are_refused(repo: Repo, bad: str) -> None:
    with pytest.raises(SecretsError, match="invalid secret name"):
        api.set_secrets(repo.root, "web", None, {bad: "x"}, repo.alice)


@pytest.mark.parametrize("scope", ["../etc", "a/b", "", ".hidden"])
def test_scopes_that_are_not_plain_names_are_refused(repo: Repo, scope: str) -> None:
    with pytest.raises(SecretsError, match="invalid scope"):
        api.set_secrets(repo.root, scope, None, {"A": "x"}, repo.alice)


def test_verify_checks_macs_with_an_identity(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    report = members.verify(repo.root, repo.alice)
    assert (report.problems, report.verified) == ([], ["secrets/web/default.secrets"])
    path = repo.file("web")
    path.write_text(path.read_text().replace("\nA: ", "\nA: AAAA", 1))
    problems = members.verify(repo.root, repo.alice).problems
    assert any("integrity check failed" in p for p in problems)


def test_find_root_walks_up_to_the_folder_with_secrets(repo: Repo) -> None:
    deep = repo.root / "services" / "web"
    deep.mkdir(parents=True)
    assert find_root(deep) == repo.root


def test_a_value_that_is_not_unicode_text_is_refused_naming_the_secret(repo: Repo) -> None:
    with pytest.raises(SecretsError, match="secret BAD: the value is not valid Unicode"):
        api.set_secrets(repo.root, "web", None, {"BAD": "\udcff"}, repo.alice)


def _drop_line(path: Path, name: str) -> None:
    path.write_text("".join(line for line in path.read_text().splitlines(True)
                            if not line.startswith(f"{name}: ")))  # fmt: skip


def test_a_dropped_line_cannot_fall_through_to_common(repo: Repo) -> None:
    api.set_secrets(repo.root, "common", "prod", {"DB": "common-db"}, repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"DB": "web-db", "OTHER": "o"}, repo.alice)
    _drop_line(repo.file("web", "prod"), "DB")
    with pytest.raises(SecretsError, match=r"web/prod\.secrets: integrity check failed"):
        api.resolve_secrets(repo.root, "web", "prod", ["DB"], repo.alice)


def test_every_candidate_file_is_checked_even_when_a_name_is_found_first(repo: Repo) -> None:
    api.set_secrets(repo.root, "common", "prod", {"SHARED": "s", "X": "x"}, repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"DB": "web-db"}, repo.alice)
    _drop_line(repo.file("common", "prod"), "X")
    with pytest.raises(SecretsError, match=r"common/prod\.secrets: integrity check failed"):
        api.resolve_secrets(repo.root, "web", "prod", ["DB"], repo.alice)


def test_the_identity_that_opens_the_store_is_never_stored_in_it(repo: Repo) -> None:
    key = repo.alice.keys[0].encode()
    for value in (key, f"prefix {key.lower()} suffix"):
        with pytest.raises(SecretsError, match="holds your kamalpy identity"):
            api.set_secrets(repo.root, "web", None, {"B": value}, repo.alice)
    assert not repo.file("web").exists()
