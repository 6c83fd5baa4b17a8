"""Interop with Debian's `age` CLI both ways: the key block is a real age file."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.age_file import dearmor, decrypt
from kamalpy.secrets.crypto import FileIdentity
from kamalpy.secrets.format import seal
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import write_secrets
from tests.support.ci import require_tool

pytestmark = pytest.mark.integration

require_tool("age", "apt-get install age", module_level=True)


def age_keygen(folder: Path) -> tuple[Path, AgeIdentity]:
    path = folder / "age-identity.txt"
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    key = next(line for line in path.read_text().splitlines() if line.startswith("AGE-SECRET"))
    return path, AgeIdentity.parse(key)


def key_block(text: str) -> str:
    match = re.search(r"-----BEGIN AGE.*?-----END AGE ENCRYPTED FILE-----\n", text, re.S)
    assert match
    return match.group(0)


def test_age_cli_recovers_the_data_key_kamalpy_wrapped(tmp_path: Path) -> None:
    identity_file, key = age_keygen(tmp_path)
    who = Identity((key,), "age-keygen")
    members.init(tmp_path, "ops", key.recipient())
    api.set_secrets(tmp_path, "web", "prod", {"DB": "postgres://x"}, who)
    secrets_file = tmp_path / "secrets/web/prod.secrets"
    assert key_block(secrets_file.read_text())
    # the disaster-recovery recipe from docs/secrets.md, verbatim
    recipe = f"sed -n '/BEGIN AGE/,/END AGE/p' {secrets_file} | age -d -i {identity_file}"
    recovered = subprocess.run(["sh", "-c", recipe], capture_output=True, check=True).stdout
    opened = api.open_file(tmp_path, FileIdentity("web", "prod"), who)
    assert recovered == opened.data_key and len(recovered) == 32


def test_kamalpy_reads_a_data_key_that_age_cli_wrapped(tmp_path: Path) -> None:
    _, key = age_keygen(tmp_path)
    who = Identity((key,), "age-keygen")
    members.init(tmp_path, "ops", key.recipient())
    data_key = os.urandom(32)
    armored = subprocess.run(
        ["age", "-a", "-r", str(key.recipient())], input=data_key, capture_output=True, check=True
    ).stdout.decode()
    assert decrypt(dearmor(armored), [key]) == data_key
    identity = FileIdentity("web", "default")
    recipients = [("ops", str(key.recipient()))]
    write_secrets(
        tmp_path / "secrets/web/default.secrets",
        seal(identity, recipients, data_key, armored, {"TOKEN": "from age"}),
    )
    assert api.get_secrets(tmp_path, "web", None, who)["TOKEN"].reveal() == "from age"


def test_binary_age_files_interoperate_both_ways(tmp_path: Path) -> None:
    identity_file, key = age_keygen(tmp_path)
    from kamalpy.secrets.age_file import encrypt

    for size in (0, 65536, 65537):
        data = os.urandom(size)
        ours = encrypt(data, [key.recipient(), AgeIdentity.generate().recipient()])
        out = subprocess.run(
            ["age", "-d", "-i", str(identity_file)], input=ours, capture_output=True, check=True
        )
        assert out.stdout == data
        theirs = subprocess.run(
            ["age", "-r", str(key.recipient())], input=data, capture_output=True, check=True
        ).stdout
        assert decrypt(theirs, [key]) == data
