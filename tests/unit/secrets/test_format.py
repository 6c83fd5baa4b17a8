from __future__ import annotations

import difflib

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from hypothesis import given
from hypothesis import strategies as st

from kamalpy.errors import SecretsError
from kamalpy.secrets import api, members
from kamalpy.secrets.age import ARMOR_BEGIN, ARMOR_END, hkdf
from kamalpy.secrets.age_file import armor, dearmor
from kamalpy.secrets.crypto import FileIdentity, associated_data, file_mac, seal_value
from kamalpy.secrets.format import SecretsFile, parse, render
from tests.unit.secrets.conftest import Repo, property_settings

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True)
TRICKY = st.sampled_from(
    ["\n", "\r", "\r\n", "=", '"', "'", "#", " ", "\t", "\0", "é", "😀", "\u2028"]
)
VALUES = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=30).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\n"]), st.integers(0, 70_000)),
)


def test_render_then_parse_is_identity(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", "prod", {"B": "2", "A": "1"}, repo.alice)
    text = repo.file("web", "prod").read_text()
    assert render(parse(text, "x")) == text
    assert parse(text, "x").names() == ["A", "B"]


def test_file_names_are_readable_and_sorted(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"ZED": "z", "ALPHA": "a"}, repo.alice)
    lines = repo.file("web").read_text().splitlines()
    assert lines[:3] == ["kamalpy-secrets: v1", "scope: web", "destination: default"]
    value_lines = [line.split(":")[0] for line in lines if line.startswith(("ALPHA:", "ZED:"))]
    assert value_lines == ["ALPHA", "ZED"]
    assert lines[-1].startswith("mac: ")


def test_one_changed_value_in_twenty_changes_one_value_line_and_the_mac(repo: Repo) -> None:
    values = {f"SECRET_{i:02}": f"value {i}" for i in range(20)}
    api.set_secrets(repo.root, "web", "prod", values, repo.alice)
    before = repo.file("web", "prod").read_text().splitlines()
    api.set_secrets(repo.root, "web", "prod", {"SECRET_07": "new value"}, repo.alice)
    after = repo.file("web", "prod").read_text().splitlines()
    diff = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(diff) == 4, diff
    assert {line[1:].split(":")[0] for line in diff} == {"SECRET_07", "mac"}


def test_setting_the_same_value_again_keeps_the_file_byte_identical(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1", "B": "2"}, repo.alice)
    before = repo.file("web").read_bytes()
    api.set_secrets(repo.root, "web", None, {"A": "1"}, repo.alice)
    assert repo.file("web").read_bytes() == before


def test_rotate_changes_the_data_key_and_every_value_line(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "1", "B": "2"}, repo.alice)
    before = parse(repo.file("web").read_text(), "x")
    api.rotate(repo.root, "web", None, repo.alice)
    after = parse(repo.file("web").read_text(), "x")
    assert before.key_block != after.key_block
    assert not set(before.values) & set(after.values)
    assert {
        k: v.reveal() for k, v in api.get_secrets(repo.root, "web", None, repo.alice).items()
    } == {
        "A": "1",
        "B": "2",
    }


@property_settings(60)
@given(values=st.dictionaries(NAMES, VALUES, min_size=1, max_size=6))
def test_any_names_and_values_round_trip_exactly_through_set_and_get(
    repo: Repo, values: dict[str, str]
) -> None:
    api.set_secrets(repo.root, "hyp", None, values, repo.alice)
    got = api.get_secrets(repo.root, "hyp", None, repo.alice)
    for name, value in values.items():
        assert got[name].reveal() == value
    api.unset_secrets(repo.root, "hyp", None, list(got), repo.alice)


def test_a_64_kib_value_round_trips(repo: Repo) -> None:
    value = ("ü=#\"'\n" * 11_000)[: 64 * 1024]
    api.set_secrets(repo.root, "web", None, {"BIG": value}, repo.alice)
    assert api.get_secrets(repo.root, "web", None, repo.alice)["BIG"].reveal() == value


# Every word the format uses for its own lines, in the case a secret name may take.
KEYWORDS = ["mac", "scope", "destination", "recipient", "kamalpy_secrets", "MAC", "Mac"]


def test_names_equal_to_structure_keywords_round_trip_and_keep_the_repo_usable(
    repo: Repo,
) -> None:
    values = {name: f"value of {name}" for name in KEYWORDS} | {"ZED": "z", "A": "a"}
    api.set_secrets(repo.root, "web", "prod", values, repo.alice)
    text = repo.file("web", "prod").read_text()
    assert parse(text, "x").names() == sorted(values)
    assert render(parse(text, "x")) == text
    got = api.get_secrets(repo.root, "web", "prod", repo.alice)
    assert {name: value.reveal() for name, value in got.items()} == values
    # recipients commands read every file: one named `mac` must not lock anyone out
    assert members.verify(repo.root, repo.alice).problems == []
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["*"], repo.alice)
    assert api.get_secrets(repo.root, "web", "prod", repo.bob)["mac"].reveal() == "value of mac"


def test_a_file_cut_after_a_value_named_mac_is_refused(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"mac": "m", "A": "a"}, repo.alice)
    lines = repo.file("web").read_text().splitlines()
    with pytest.raises(SecretsError):
        parse("\n".join(lines[:-1]) + "\n", "x")


def test_a_value_that_decrypts_to_invalid_utf8_names_the_file_and_secret(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"A": "a", "B": "b"}, repo.alice)
    unlocked = api.open_file(repo.root, FileIdentity("web", "default"), repo.alice)
    assert unlocked.old is not None
    # someone holding the data key (not kamalpy) sealed bytes that are not text
    key = unlocked.data_key
    sealed = seal_value(key, unlocked.identity, "B", "x")
    raw = ChaCha20Poly1305(hkdf(key, sealed[:24], b"kamalpy-secrets v1 value key"))
    sealed = sealed[:24] + raw.encrypt(
        bytes(12), b"\xff\xfe", associated_data(unlocked.identity, "B")
    )
    values = (("A", unlocked.old.values[0][1]), ("B", sealed))
    old = unlocked.old
    mac = file_mac(key, old.identity, old.recipients, old.key_block, values)
    bad = SecretsFile(old.identity, old.recipients, old.key_block, values, mac)
    repo.file("web").write_text(render(bad))
    with pytest.raises(SecretsError, match=r"default.secrets:\d+: value B decrypts, but is not"):
        api.get_secrets(repo.root, "web", None, repo.alice)


def test_the_recipient_count_error_counts_what_it_compares(repo: Repo) -> None:
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["*"], repo.alice)
    api.set_secrets(repo.root, "web", None, {"A": "a"}, repo.alice)
    lines = repo.file("web").read_text().splitlines()
    begin = lines.index(ARMOR_BEGIN)
    end = lines.index(ARMOR_END)
    data = dearmor("\n".join(lines[begin : end + 1]) + "\n")
    version, rest = data.split(b"\n", 1)
    # replace bob's X25519 stanza by one of another kind: still two stanzas, one X25519
    first, second = rest.split(b"\n-> ", 1)
    kept_mac = second[second.index(b"\n---") :]
    forged = version + b"\n" + first + b"\n-> scrypt c2FsdA 10\nAAAA" + kept_mac
    block = armor(forged).rstrip("\n").split("\n")
    with pytest.raises(SecretsError) as refused:
        parse("\n".join(lines[:begin] + block + lines[end + 1 :]) + "\n", "x")
    assert (
        "lists 2 recipient(s) but its key block is wrapped for 1 and holds 1 stanza(s) of "
        "another kind" in refused.value.message
    )
