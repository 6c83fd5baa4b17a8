"""The runtime-digest MAC key, the git diff view and the access messages, asserted exactly."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kamalpy.secrets import api
from kamalpy.secrets.access import AccessChange, describe, differs_error, removed_error
from kamalpy.secrets.digest_key import digest_key, value_macs
from kamalpy.secrets.format import parse
from kamalpy.secrets.store import file_identity
from kamalpy.secrets.textconv import textconv
from kamalpy.sensitive import Sensitive
from tests.unit.secrets.conftest import Repo


def _hkdf(data_key: bytes) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"kamalpy runtime digest v1")
    return kdf.derive(data_key)


def test_the_key_comes_from_the_service_s_own_file_then_common_then_none(repo: Repo) -> None:
    assert digest_key(repo.root, "web", "prod", repo.alice) is None
    api.set_secrets(repo.root, "common", "prod", {"SHARED": "s"}, repo.alice)
    common = api.open_file(repo.root, file_identity("common", "prod"), repo.alice).data_key
    assert digest_key(repo.root, "web", "prod", repo.alice) == _hkdf(common)
    api.set_secrets(repo.root, "web", "prod", {"TOKEN": "t"}, repo.alice)
    own = api.open_file(repo.root, file_identity("web", "prod"), repo.alice).data_key
    assert digest_key(repo.root, "web", "prod", repo.alice) == _hkdf(own) != _hkdf(common)
    assert digest_key(repo.root, "web", None, repo.alice) is None  # another destination's file
    assert len(_hkdf(own)) == 32


def test_rotating_the_data_key_changes_the_mac_key(repo: Repo) -> None:
    api.set_secrets(repo.root, "web", None, {"TOKEN": "t"}, repo.alice)
    before = digest_key(repo.root, "web", None, repo.alice)
    api.rotate(repo.root, "web", None, repo.alice)
    assert digest_key(repo.root, "web", None, repo.alice) not in (None, before)


def test_each_value_s_mac_is_bound_to_its_name() -> None:
    key = bytes(range(32))
    macs = value_macs(key, {"B": Sensitive("2"), "A": Sensitive("1")})
    assert macs == {
        "A": hmac.new(key, b"A\x001", hashlib.sha256).hexdigest(),
        "B": hmac.new(key, b"B\x002", hashlib.sha256).hexdigest(),
    }
    assert list(macs) == ["A", "B"]
    assert value_macs(key, {"AB": Sensitive("C")}) != value_macs(key, {"A": Sensitive("BC")})


def test_the_diff_view_names_recipients_and_fingerprints_only(repo: Repo) -> None:
    path = api.set_secrets(repo.root, "web", "prod", {"TOKEN": "t0ps3cret"}, repo.alice)
    text = path.read_text()
    parsed = parse(text, str(path))

    def short(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()[:12]

    (name, sealed), = parsed.values  # fmt: skip
    assert textconv(text, "f.secrets") == "\n".join([
        "# kamalpy secrets web/prod",
        *(f"recipient {who} {public}" for who, public in parsed.recipients),
        f"data key (wrapped) {short(parsed.key_block.encode())}",
        f"{name} = [encrypted {short(sealed)}]",
        f"mac {short(parsed.mac)}",
    ]) + "\n"  # fmt: skip
    assert "t0ps3cret" not in textconv(text, "f.secrets")


def test_access_messages_in_full() -> None:
    change = AccessChange("secrets/web/prod.secrets", (("carol", "age1c"),),
                          (("bob", "age1b"), ("dan", "age1d")))  # fmt: skip
    other = AccessChange("secrets/common/prod.secrets", (), (("bob", "age1b"),))
    assert describe([change, other]) == (
        "secrets/web/prod.secrets:\n"
        "  + carol (age1c) gains access\n"
        "  - bob (age1b) loses access\n"
        "  - dan (age1d) loses access\n"
        "secrets/common/prod.secrets:\n"
        "  - bob (age1b) loses access"
    )
    error = removed_error(change)
    assert error.message == (
        "secrets/web/prod.secrets: still readable by bob (age1b), dan (age1d), whom "
        "secrets/recipients.yml no longer lets read it (an older copy of the file was restored, "
        "or a removal was not finished)"
    )
    assert error.hint == (
        "run `kamalpy secrets recipients sync` to rotate the file's data key, and change the "
        "values those members could read"
    )


def test_differs_error_in_full() -> None:
    change = AccessChange("secrets/web/prod.secrets", (("mallory", "age1m"),), ())
    error = differs_error(change)
    assert error.message == (
        "secrets/web/prod.secrets: its recipients differ from secrets/recipients.yml, and writing "
        "it would change who can read it:\n  + mallory (age1m) gains access"
    )
    assert error.hint == (
        "recipients.yml is not authenticated: if the change above is intended, apply it with "
        "`kamalpy secrets recipients sync` (it shows the change and asks); if not, restore "
        "secrets/recipients.yml from git"
    )
