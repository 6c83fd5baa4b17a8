"""Access changes only through an explicit step: recipients.yml alone grants nobody anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.errors import SecretsError
from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.crypto import FileIdentity, open_bytes
from kamalpy.secrets.format import parse
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import load_policy
from tests.unit.secrets.conftest import Repo


def append_member(root: Path, name: str, key: str, access: str = '["*"]') -> None:
    """What someone who can push, but holds no key, can do: edit recipients.yml by hand."""
    path = root / "secrets" / "recipients.yml"
    path.write_text(path.read_text() + f"  {name}:\n    key: {key}\n    access: {access}\n")


@pytest.fixture
def attacked(repo: Repo) -> tuple[Repo, AgeIdentity]:
    api.set_secrets(repo.root, "web", "prod", {"OLD": "history"}, repo.alice)
    api.set_secrets(repo.root, "common", "prod", {"SHARED": "s"}, repo.alice)
    mallory = AgeIdentity.generate()
    append_member(repo.root, "mallory", str(mallory.recipient()))
    return repo, mallory


def test_a_members_set_after_a_hand_added_key_is_refused_and_grants_nothing(
    attacked: tuple[Repo, AgeIdentity],
) -> None:
    repo, mallory = attacked
    with pytest.raises(SecretsError) as refused:
        api.set_secrets(repo.root, "web", "prod", {"NEW_FLAG": "on"}, repo.alice)
    assert refused.value.exit_code == 2
    assert f"+ mallory ({mallory.recipient()}) gains access" in refused.value.message
    assert "recipients sync" in (refused.value.hint or "")
    thief = Identity((mallory,), "mallory")
    for scope in ("web", "common"):
        with pytest.raises(SecretsError, match="wrong key"):
            api.get_secrets(repo.root, scope, "prod", thief)
    assert api.list_names(repo.root, "web", "prod") == ["OLD"]


@pytest.mark.parametrize(
    "write",
    [
        lambda r: api.unset_secrets(r.root, "web", "prod", ["OLD"], r.alice),
        lambda r: api.rotate(r.root, "web", "prod", r.alice),
    ],
    ids=["unset", "rotate"],
)
def test_every_ordinary_write_is_refused_while_the_policy_differs(
    attacked: tuple[Repo, AgeIdentity], write: object
) -> None:
    repo, _ = attacked
    before = repo.file("web", "prod").read_text()
    with pytest.raises(SecretsError, match="mallory"):
        write(repo)  # type: ignore[operator]
    assert repo.file("web", "prod").read_text() == before


def test_add_and_remove_refuse_to_carry_a_pending_hand_edit_along(
    attacked: tuple[Repo, AgeIdentity],
) -> None:
    repo, _ = attacked
    carol = str(AgeIdentity.generate().recipient())
    with pytest.raises(SecretsError, match="already differs") as refused:
        members.add_recipient(repo.root, "carol", carol, ["*"], repo.alice)
    assert "mallory" in refused.value.message


def test_sync_applies_exactly_the_change_it_showed(attacked: tuple[Repo, AgeIdentity]) -> None:
    repo, mallory = attacked
    shown = members.pending_changes(repo.root)
    assert [(c.path, [n for n, _ in c.gained], c.lost) for c in shown] == [
        ("secrets/common/prod.secrets", ["mallory"], ()),
        ("secrets/web/prod.secrets", ["mallory"], ()),
    ]
    append_member(repo.root, "eve", str(AgeIdentity.generate().recipient()))
    with pytest.raises(SecretsError, match="changed since"):
        members.sync(repo.root, repo.alice, shown)
    assert members.pending_changes(repo.root) != shown
    members.sync(repo.root, repo.alice, members.pending_changes(repo.root))
    thief = Identity((mallory,), "mallory")
    assert api.get_secrets(repo.root, "web", "prod", thief)["OLD"].reveal() == "history"


def test_a_file_still_readable_by_a_removed_member_is_refused_at_deploy(repo: Repo) -> None:
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["*"], repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"TOKEN": "t"}, repo.alice)
    before_removal = repo.file("web", "prod").read_text()
    members.remove_recipient(repo.root, "bob", repo.alice)
    api.resolve_secrets(repo.root, "web", "prod", ["TOKEN"], repo.alice)
    repo.file("web", "prod").write_text(before_removal)  # a whole-file rollback
    with pytest.raises(SecretsError, match=r"still readable by bob \(age1"):
        api.resolve_secrets(repo.root, "web", "prod", ["TOKEN"], repo.alice)
    assert any("- bob" in p for p in members.verify(repo.root, repo.alice).problems)


def test_a_deploy_reports_a_file_the_policy_would_give_to_more_people(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", "prod", {"TOKEN": "t"}, repo.alice)
    append_member(repo.root, "carol", str(AgeIdentity.generate().recipient()))
    heard: list[str] = []
    values = api.resolve_secrets(repo.root, "web", "prod", ["TOKEN"], repo.alice, warn=heard.append)
    assert values["TOKEN"].reveal() == "t"
    assert len(heard) == 1 and "carol" in heard[0] and "recipients sync" in heard[0]


@pytest.mark.parametrize(
    "written",
    ["key: |\n      {key}\n", "key: '  {key}  '\n", "key: >\n      {key}\n\n"],
    ids=["block scalar", "spaces", "folded with blank line"],
)
def test_keys_with_surrounding_whitespace_are_normalised_at_input(repo: Repo, written: str) -> None:
    path = repo.root / "secrets" / "recipients.yml"
    key = str(repo.bob.recipients()[0])
    path.write_text(path.read_text() + "  bob:\n    " + written.format(key=key))
    assert [m.key for m in load_policy(repo.root).members][-1] == key
    members.sync(repo.root, repo.alice, members.pending_changes(repo.root))
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    assert api.get_secrets(repo.root, "web", None, repo.bob)["A"].reveal() == "1"


def test_add_strips_the_key_and_refuses_one_with_spaces_inside(repo: Repo) -> None:
    key = str(repo.bob.recipients()[0])
    members.add_recipient(repo.root, "bob", f" {key}\n", ["*"], repo.alice)
    assert load_policy(repo.root).members[-1].key == key
    with pytest.raises(SecretsError, match="no spaces inside"):
        members.add_recipient(repo.root, "eve", f"{key[:20]} {key[20:]}", ["*"], repo.alice)


def test_a_former_members_kept_data_key_opens_nothing_written_after_removal(repo: Repo) -> None:
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["*"], repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"OLD": "seen"}, repo.alice)
    kept = api.open_file(repo.root, FileIdentity("web", "prod"), repo.bob).data_key
    members.remove_recipient(repo.root, "bob", repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"NEW": "unseen"}, repo.alice)
    secrets = parse(repo.file("web", "prod").read_text(), "x")
    for name, sealed in secrets.values:
        assert open_bytes(kept, secrets.identity, name, sealed) is None, name
    # and putting their key back into recipients.yml by hand grants nothing on the next write
    append_member(repo.root, "bob", str(repo.bob.recipients()[0]))
    with pytest.raises(SecretsError, match=r"\+ bob"):
        api.set_secrets(repo.root, "web", "prod", {"NEWER": "x"}, repo.alice)
    with pytest.raises(SecretsError, match="wrong key"):
        api.get_secrets(repo.root, "web", "prod", repo.bob)
