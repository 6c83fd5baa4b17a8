from __future__ import annotations

import io
from pathlib import Path

import pytest

from kamalpy.cli.build_support import secrets_named
from kamalpy.cli.output import Console
from kamalpy.cli.secret_support import resolve_uses, secrets_for_command, ssh_key_data
from kamalpy.config import GitInfo, load_config
from kamalpy.config.model import Configuration
from kamalpy.deploy.secret_refs import SecretUse, all_uses, names_of
from kamalpy.errors import SecretsError
from kamalpy.secrets import init, load_identity, set_secrets
from kamalpy.secrets.age import AgeIdentity
from kamalpy.sensitive import Sensitive

DEPLOY = """\
service: shop
image: acme/shop
servers:
  web:
    - 10.0.0.1
    - 10.0.0.2: replica
registry:
  server: registry.example.com
  username: [REG_USER]
  password: [REG_PASSWORD]
builder:
  arch: amd64
  secrets: [BUILD_TOKEN]
env:
  secret: [DB_PASSWORD, API:API_TOKEN]
  tags:
    replica:
      secret: [DB_PASSWORD:REPLICA_PASSWORD]
accessories:
  db:
    image: postgres:16
    host: 10.0.0.9
    env:
      secret: [POSTGRES_PASSWORD]
"""
NAMES = ("DB_PASSWORD", "API_TOKEN", "REPLICA_PASSWORD", "BUILD_TOKEN", "REG_USER",
         "REG_PASSWORD", "POSTGRES_PASSWORD")  # fmt: skip


def _load(root: Path, extra: str = "") -> Configuration:
    path = root / "config" / "deploy.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEPLOY + extra)
    return load_config(path, destination=None, environ={}, version="v1", git=GitInfo(None))


def test_every_reference_is_listed_aliases_tags_registry_builder_accessories(
    tmp_path: Path,
) -> None:
    assert sorted(names_of(all_uses(_load(tmp_path)))) == sorted(NAMES)


def _store(root: Path, values: dict[str, str]) -> dict[str, str]:
    key = AgeIdentity.generate()
    environ = {"KAMALPY_IDENTITY": key.encode(), "HOME": str(root / "empty-home")}
    (root / ".git").mkdir()
    init(root, "me", key.recipient())
    set_secrets(root, "shop", None, values, load_identity(environ, root))
    return environ


def test_store_wins_over_environment_and_environment_fills_the_rest(tmp_path: Path) -> None:
    config = _load(tmp_path)
    environ = _store(tmp_path, {name: f"stored {name}" for name in NAMES[:-1]})
    environ |= {"POSTGRES_PASSWORD": "from env", "DB_PASSWORD": "env loses"}
    values = resolve_uses(config, all_uses(config), environ)
    assert values["DB_PASSWORD"].reveal() == "stored DB_PASSWORD"
    assert values["POSTGRES_PASSWORD"].reveal() == "from env"
    assert sorted(values) == sorted(NAMES)


def test_a_missing_secret_names_itself_its_use_and_the_files_searched(tmp_path: Path) -> None:
    config = _load(tmp_path)
    environ = _store(tmp_path, {name: "x" for name in NAMES if name != "REPLICA_PASSWORD"})
    with pytest.raises(SecretsError) as caught:
        secrets_for_command(config, "deploy", environ)
    message = caught.value.message
    assert "secret REPLICA_PASSWORD (used by role web env.tags.replica" in message
    assert "secrets/shop/default.secrets, secrets/common/default.secrets (absent)" in message
    assert caught.value.exit_code == 2


def test_read_only_commands_need_no_secrets(tmp_path: Path) -> None:
    assert secrets_for_command(_load(tmp_path), "details", {}) == {}


def test_rollback_needs_only_the_env_secrets(tmp_path: Path) -> None:
    environ = {name: "v" for name in ("DB_PASSWORD", "API_TOKEN", "REPLICA_PASSWORD")}
    assert sorted(secrets_for_command(_load(tmp_path), "rollback", environ)) == sorted(environ)


def test_every_command_resolves_the_ssh_keys_given_as_data(tmp_path: Path) -> None:
    config = _load(tmp_path, "ssh:\n  key_data: [SSH_KEY]\n")
    environ = {name: "v" for name in (*NAMES, "SSH_KEY")}
    assert "SSH_KEY" in secrets_for_command(config, "deploy", environ)
    assert list(secrets_for_command(config, "details", environ)) == ["SSH_KEY"]
    assert ssh_key_data(config, environ) == (("SSH_KEY", Sensitive("v")),)


def test_a_missing_ssh_key_stops_a_read_only_command_too(tmp_path: Path) -> None:
    config = _load(tmp_path, "ssh:\n  key_data: [SSH_KEY]\n")
    with pytest.raises(SecretsError, match="SSH_KEY"):
        secrets_for_command(config, "details", {})


def test_console_scrubs_hidden_values_from_every_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out=out, err=err, verbose=True)
    console.hide([Sensitive("hunter2-long"), Sensitive("hunter2"), Sensitive("ab")])
    console.info("log: PASSWORD=hunter2-long and hunter2")
    console.error("boom hunter2")
    console.detail("ab stays")
    assert out.getvalue() == "log: PASSWORD=[REDACTED] and [REDACTED]\n"
    assert err.getvalue() == "error: boom [REDACTED]\nab stays\n"


def test_the_store_key_is_never_a_secret_taken_from_the_environment(tmp_path: Path) -> None:
    config = _load(tmp_path)
    environ = {name: "v" for name in NAMES} | {"KAMALPY_IDENTITY": "AGE-SECRET-KEY-1X"}
    uses = (*all_uses(config), SecretUse("KAMALPY_IDENTITY", "role web env.secret"))
    with pytest.raises(SecretsError, match="secret KAMALPY_IDENTITY"):
        resolve_uses(config, uses, environ)


def test_build_and_registry_commands_name_a_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match=r"secret BUILD_TOKEN \(used by builder.secrets\)"):
        secrets_named(_load(tmp_path), ["BUILD_TOKEN"], {})


def test_a_line_dropped_from_the_store_cannot_fall_through_to_the_environment(
    tmp_path: Path,
) -> None:
    config = _load(tmp_path)
    environ = _store(tmp_path, {"DB_PASSWORD": "stored", "UNUSED": "u"})
    others = {name: f"stored {name}" for name in NAMES if name != "DB_PASSWORD"}
    set_secrets(tmp_path, "common", None, others, load_identity(environ, tmp_path))
    environ |= {"DB_PASSWORD": "attacker's database"}
    path = tmp_path / "secrets" / "shop" / "default.secrets"
    path.write_text("".join(line for line in path.read_text().splitlines(True)
                            if not line.startswith("DB_PASSWORD: ")))  # fmt: skip
    with pytest.raises(SecretsError, match=r"shop/default\.secrets: integrity check failed"):
        secrets_for_command(config, "deploy", environ)
    with pytest.raises(SecretsError, match="integrity check failed"):
        secrets_named(config, ["POSTGRES_PASSWORD"], environ)


def test_a_deploy_warns_when_recipients_yml_would_give_a_file_to_more_people(
    tmp_path: Path,
) -> None:
    config = _load(tmp_path)
    environ = _store(tmp_path, {name: "x" for name in NAMES})
    policy = tmp_path / "secrets" / "recipients.yml"
    policy.write_text(
        policy.read_text() + f"  eve:\n    key: {AgeIdentity.generate().recipient()}\n"
    )
    heard: list[str] = []
    secrets_for_command(config, "deploy", environ, heard.append)
    assert len(heard) == 1 and "eve" in heard[0]
