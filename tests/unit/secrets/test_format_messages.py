"""Every refusal of the file format, whole: file, line, what failed, and the hint."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from kamalpy.errors import SecretsError
from kamalpy.secrets import api, members
from kamalpy.secrets.age import ARMOR_BEGIN, ARMOR_END, AgeIdentity
from kamalpy.secrets.age_file import armor, encrypt
from kamalpy.secrets.crypto import FileIdentity, file_mac, seal_value
from kamalpy.secrets.format import SecretsFile, open_values, parse, seal, unlock
from tests.unit.secrets.conftest import Repo

PATH = "secrets/web/prod.secrets"
TAMPER_HINT = (
    "secrets files are written only by kamalpy; restore it from git (`git checkout -- FILE`) "
    "and make the change with `kamalpy secrets edit|set|unset`"
)
Edit = Callable[[list[str]], list[str]]


@pytest.fixture
def lines(repo: Repo) -> list[str]:
    """A file with two recipients (alice, bob) and three values A, B, C."""
    members.add_recipient(repo.root, "bob", str(repo.bob.recipients()[0]), ["*"], repo.alice)
    api.set_secrets(repo.root, "web", "prod", {"A": "1", "B": "2", "C": "3"}, repo.alice)
    return repo.file("web", "prod").read_text().splitlines()


def refusal(text: str) -> str:
    with pytest.raises(SecretsError) as refused:
        parse(text, PATH)
    assert refused.value.hint == TAMPER_HINT
    return refused.value.message


def joined(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def value_line(lines: list[str], name: str) -> int:
    """The 1-based line number of a value."""
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"{name}: "))


def replaced(index: int, text: str) -> Edit:
    def edit(lines: list[str]) -> list[str]:
        at = index % len(lines)
        return [*lines[:at], text, *lines[at + 1 :]]

    return edit


def bob_key(lines: list[str]) -> str:
    return lines[4].split(" ")[2]


# (case, edit, the message after `PATH:`; {begin}, {a}, {last} are line numbers)
CASES: list[tuple[str, Edit, str]] = [
    (
        "unknown version",
        replaced(0, "kamalpy-secrets: v2"),
        "1: not a kamalpy secrets file or unknown version (want kamalpy-secrets: v1)",
    ),
    ("scope with a space", replaced(1, "scope: we b"), "2: expected `scope: …` here"),
    ("scope keyword missing", replaced(1, "web"), "2: expected `scope: …` here"),
    ("destination empty", replaced(2, "destination: "), "3: expected `destination: …` here"),
    ("no recipient", lambda ls: ls[:3] + ls[5:], "4: the file lists no recipient"),
    (
        "recipient with two spaces",
        lambda ls: replaced(4, f"recipient: bob  {bob_key(ls)}")(ls),
        "5: expected `recipient: NAME age1…`",
    ),
    (
        "recipient with a bad name",
        lambda ls: replaced(4, f"recipient: b!b {bob_key(ls)}")(ls),
        "5: expected `recipient: NAME age1…`",
    ),
    (
        "recipient with a third word",
        lambda ls: replaced(4, f"recipient: bob {bob_key(ls)} x")(ls),
        "5: expected `recipient: NAME age1…`",
    ),
    (
        "recipient key not age",
        replaced(4, "recipient: bob age1xyz"),
        "5: recipient bob: not an age recipient (missing separator or checksum)",
    ),
    (
        "recipient listed twice",
        lambda ls: replaced(4, f"recipient: alice {bob_key(ls)}")(ls),
        "5: a recipient is listed twice",
    ),
    (
        "recipient dropped",
        lambda ls: ls[:4] + ls[5:],
        "5: the file lists 1 recipient(s) but its key block is wrapped for 2 (a recipient was "
        "added or removed by hand)",
    ),
    (
        "key block missing",
        replaced(5, "junk"),
        "6: expected the key block (-----BEGIN AGE ENCRYPTED FILE-----)",
    ),
    (
        "key block line shortened",
        lambda ls: replaced(6, ls[6][:-1])(ls),
        "6: key block is damaged: armor lines must be 64 columns",
    ),
    (
        "comment among the values",
        lambda ls: [*ls[: value_line(ls, "A") - 1], "# note", *ls[value_line(ls, "A") - 1 :]],
        "{a}: expected `NAME: ciphertext`",
    ),
    (
        "name starting with a digit",
        lambda ls: replaced(value_line(ls, "A") - 1, "9A: AAAA")(ls),
        "{a}: expected `NAME: ciphertext`",
    ),
    (
        "value line without a colon",
        lambda ls: replaced(value_line(ls, "A") - 1, "AB")(ls),
        "{a}: expected `NAME: ciphertext`",
    ),
    (
        "ciphertext with a colon",
        lambda ls: replaced(value_line(ls, "A") - 1, "A: AA: AA")(ls),
        "{a}: secret A: ciphertext is not base64",
    ),
    (
        "ciphertext not base64",
        lambda ls: replaced(value_line(ls, "A") - 1, "A: ***")(ls),
        "{a}: secret A: ciphertext is not base64",
    ),
    (
        "value listed twice",
        lambda ls: replaced(value_line(ls, "B") - 1, "A" + ls[value_line(ls, "B") - 1][1:])(ls),
        "{b}: secret A is listed twice",
    ),
    (
        "values swapped",
        lambda ls: [
            *ls[: value_line(ls, "A") - 1],
            ls[value_line(ls, "B") - 1],
            ls[value_line(ls, "A") - 1],
            *ls[value_line(ls, "C") - 1 :],
        ],
        "{b}: secret A is out of order (names are sorted)",
    ),
    ("mac not base64 text", replaced(-1, "mac: A"), "{last}: mac line is not 32 bytes of base64"),
    ("mac too short", replaced(-1, "mac: AAAA"), "{last}: mac line is not 32 bytes of base64"),
    ("mac line unreadable", replaced(-1, "# mac"), "{last}: expected `mac: …` here"),
]


@pytest.mark.parametrize(("case", "edit", "what"), CASES, ids=[case[0] for case in CASES])
def test_each_format_refusal_names_the_file_the_line_and_what_failed(
    lines: list[str], case: str, edit: Edit, what: str
) -> None:
    numbers = {
        "a": value_line(lines, "A"),
        "b": value_line(lines, "B"),
        "last": len(lines),
    }
    assert refusal(joined(edit(list(lines)))) == f"{PATH}:{what.format(**numbers)}"


@pytest.mark.parametrize(
    "cut",
    [
        lambda text: text[:-1],  # no final newline
    ],
)
def test_a_file_without_its_last_newline_is_truncated(
    lines: list[str], cut: Callable[[str], str]
) -> None:
    message = refusal(cut(joined(lines)))
    assert message == f"{PATH}: file is truncated (it does not end with a newline)"


@pytest.mark.parametrize(
    "keep",
    [
        lambda ls: ls[: ls.index(ARMOR_BEGIN) + 2],  # inside the key block
        lambda ls: ls[: ls.index(ARMOR_END) + 3],  # after the value B: its line looks like a mac
        lambda ls: [*ls[:-1], "mac: ***"],  # a value named mac, where the mac should be
    ],
    ids=["in the key block", "after a value", "mac line garbled"],
)
def test_a_file_ending_early_is_truncated_before_the_mac_line(lines: list[str], keep: Edit) -> None:
    message = refusal(joined(keep(list(lines))))
    assert message == f"{PATH}: file is truncated (it ends before the mac line)"


@pytest.fixture
def parsed(lines: list[str]) -> SecretsFile:
    return parse(joined(lines), PATH)


def locked_out(secrets: SecretsFile, identities: list[AgeIdentity]) -> SecretsError:
    with pytest.raises(SecretsError) as refused:
        unlock(secrets, identities, PATH)
    return refused.value


@pytest.mark.parametrize("count", [0, 1, 2])
def test_wrong_key_names_every_identity_tried_and_the_recipients(
    parsed: SecretsFile, count: int
) -> None:
    strangers = [AgeIdentity.generate() for _ in range(count)]
    error = locked_out(parsed, strangers)
    mine = ", ".join(str(stranger.recipient()) for stranger in strangers) or "none"
    assert error.message == (
        f"{PATH}: wrong key: your identity ({mine}) is not a recipient of this file "
        "(recipients: alice, bob)"
    )
    assert error.hint == "ask a recipient to run `kamalpy secrets recipients add NAME age1…`"


def test_a_key_block_whose_header_mac_fails_does_not_decrypt(
    parsed: SecretsFile, repo: Repo
) -> None:
    data = encrypt(bytes(32), [repo.alice.recipients()[0]])
    at = data.index(b"\n--- ") + 5
    forged = data[:at] + (b"A" if data[at : at + 1] != b"A" else b"B") + data[at + 1 :]
    error = locked_out(dataclasses.replace(parsed, key_block=armor(forged)), list(repo.alice.keys))
    assert error.message == (
        f"{PATH}: key block does not decrypt: header MAC mismatch (the recipient list was edited)"
    )
    assert error.hint == TAMPER_HINT


def test_a_key_block_holding_a_short_key_is_not_a_data_key(parsed: SecretsFile, repo: Repo) -> None:
    block = armor(encrypt(bytes(16), [repo.alice.recipients()[0]]))
    error = locked_out(dataclasses.replace(parsed, key_block=block), list(repo.alice.keys))
    assert error.message == f"{PATH}: key block does not hold a data key"
    assert error.hint == TAMPER_HINT


def _unlocked_key(secrets: SecretsFile, repo: Repo) -> bytes:
    return unlock(secrets, list(repo.alice.keys), PATH)


def _remac(secrets: SecretsFile, key: bytes, values: tuple[tuple[str, bytes], ...]) -> SecretsFile:
    """What someone holding the data key could write: other values, with a matching MAC."""
    mac = file_mac(key, secrets.identity, secrets.recipients, secrets.key_block, values)
    return dataclasses.replace(secrets, values=values, mac=mac)


NO_VALUE = (
    "integrity check failed: no value decrypts for scope 'web' destination 'staging' (the "
    "scope/destination lines were edited, or values copied from another file)"
)
SOME_VALUES = (
    "integrity check failed: value(s) {} do not decrypt under their name in this file (edited, "
    "swapped, or copied from another file)"
)


def test_mac_failures_say_which_values_do_not_decrypt(parsed: SecretsFile, repo: Repo) -> None:
    key = _unlocked_key(parsed, repo)
    other = FileIdentity("web", "staging")
    cases = [
        (dataclasses.replace(parsed, identity=other), NO_VALUE),
        (dataclasses.replace(parsed, identity=other, values=parsed.values[:2]), NO_VALUE),
        (
            dataclasses.replace(parsed, identity=other, values=parsed.values[:1]),
            SOME_VALUES.format(f"A (line {parsed.lines['A']})"),
        ),
        (
            dataclasses.replace(
                parsed, values=(parsed.values[0], ("B", parsed.values[2][1]), parsed.values[2])
            ),
            SOME_VALUES.format(f"B (line {parsed.lines['B']})"),
        ),
        (
            dataclasses.replace(
                parsed,
                values=(parsed.values[0], ("B", parsed.values[0][1]), ("C", parsed.values[0][1])),
                lines={"B": 16},
            ),
            SOME_VALUES.format("B (line 16), C (line ?)"),
        ),
        (
            dataclasses.replace(parsed, mac=bytes(32)),
            "integrity check failed: the mac does not match the file (a line was added, "
            "dropped or edited: recipients, scope/destination or a value)",
        ),
    ]
    for secrets, expected in cases:
        with pytest.raises(SecretsError) as refused:
            unlock(secrets, list(repo.alice.keys), PATH)
        assert refused.value.message == f"{PATH}: {expected}"
        assert refused.value.hint == TAMPER_HINT
    assert len(key) == 32


def test_a_value_under_a_valid_mac_that_does_not_decrypt_names_its_line(
    parsed: SecretsFile, repo: Repo
) -> None:
    key = _unlocked_key(parsed, repo)
    foreign = seal_value(key, FileIdentity("web", "staging"), "B", "2")
    values = (parsed.values[0], ("B", foreign), parsed.values[2])
    secrets = _remac(parsed, key, values)
    assert unlock(secrets, list(repo.alice.keys), PATH) == key
    with pytest.raises(SecretsError) as refused:
        open_values(secrets, key, PATH)
    assert refused.value.message == f"{PATH}:{parsed.lines['B']}: value B does not decrypt"
    assert refused.value.hint == TAMPER_HINT
    assert open_values(parsed, key, PATH) == {"A": "1", "B": "2", "C": "3"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"A": "1", "1A": "x"}, "invalid secret name '1A': use letters, digits and _"),
        ({"A": "1", "B": "\ud800"}, "secret B: the value is not valid Unicode text"),
    ],
)
def test_seal_refuses_bad_names_and_values(
    parsed: SecretsFile, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SecretsError) as refused:
        seal(parsed.identity, parsed.recipients, bytes(32), parsed.key_block, values)
    assert (refused.value.message, refused.value.hint) == (message, None)
