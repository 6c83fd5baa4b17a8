from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.config import GitInfo, load_config
from kamalpy.config.model import Boot, Configuration, Env, SecretRef, frozen_map

DEPLOY = """\
service: shop
image: acme/shop
servers:
  web:
    - 10.0.0.1
    - 10.0.0.2: replica
  jobs: [10.0.0.3]
registry:
  server: localhost:5555
builder:
  arch: amd64
labels:
  team: core
env:
  clear:
    ROLE: main
  secret: [DB_PASSWORD]
  tags:
    replica:
      clear:
        ROLE: replica
      secret: [DB_PASSWORD:REPLICA_PASSWORD]
accessories:
  db:
    image: postgres:16
    host: 10.0.0.9
    registry:
      server: registry.example.com
      username: bot
      password: [DB_REGISTRY_PASSWORD]
"""


def _load(tmp_path: Path, destination: str | None = None) -> Configuration:
    path = tmp_path / "deploy.yml"
    path.write_text(DEPLOY)
    (tmp_path / "deploy.prod.yml").write_text("")
    return load_config(path, destination=destination, environ={}, version="v1", git=GitInfo(None))


def test_container_names_follow_kamal(tmp_path: Path) -> None:
    config = _load(tmp_path)
    assert config.container_name("web") == "shop-web-v1"
    assert config.container_name(config.role("jobs"), "v0") == "shop-jobs-v0"
    assert _load(tmp_path, "prod").container_name("web") == "shop-web-prod-v1"


def test_role_labels_start_with_service_role_destination(tmp_path: Path) -> None:
    labels = _load(tmp_path, "prod").role_labels("web")
    assert dict(labels) == {"service": "shop", "role": "web", "destination": "prod", "team": "core"}


def test_host_tags_select_env_per_host(tmp_path: Path) -> None:
    web = _load(tmp_path).role("web")
    assert dict(web.env_for_host("10.0.0.1").clear) == {"ROLE": "main"}
    replica = web.env_for_host("10.0.0.2")
    assert dict(replica.clear) == {"ROLE": "replica"}
    assert replica.secrets == (SecretRef("DB_PASSWORD", "REPLICA_PASSWORD"),)
    assert replica.names == ("DB_PASSWORD", "ROLE")


def test_hosts_helpers(tmp_path: Path) -> None:
    config = _load(tmp_path)
    assert config.all_hosts == ("10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.9")
    assert config.app_hosts == ("10.0.0.3", "10.0.0.1", "10.0.0.2")
    assert config.proxy_hosts == ("10.0.0.1", "10.0.0.2")
    assert config.hosts_for_role("jobs") == ("10.0.0.3",)
    assert config.primary_host == "10.0.0.1"
    with pytest.raises(KeyError):
        config.role("nope")


def test_accessory_image_uses_its_own_registry(tmp_path: Path) -> None:
    db = _load(tmp_path).accessory("db")
    assert db.image_ref == "registry.example.com/postgres:16"
    assert dict(db.all_labels) == {"service": "shop-db"}


def test_model_is_immutable(tmp_path: Path) -> None:
    config = _load(tmp_path)
    with pytest.raises(AttributeError):
        config.service = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.labels["x"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("limit", "hosts", "batch"), [(None, 7, 7), (2, 7, 2), ("25%", 8, 2), ("10%", 3, 1)]
)
def test_boot_batch_size(limit: int | str | None, hosts: int, batch: int) -> None:
    assert Boot(limit=limit).batch_size(hosts) == batch


def test_env_merge_overrides_clear_and_adds_secrets() -> None:
    base = Env(frozen_map({"A": "1", "B": "2"}), (SecretRef("S", "S"),))
    over = Env(frozen_map({"B": "3"}), (SecretRef("S", "OTHER"), SecretRef("T", "T")))
    merged = base.merge(over)
    assert dict(merged.clear) == {"A": "1", "B": "3"}
    assert merged.secrets == (SecretRef("S", "OTHER"), SecretRef("T", "T"))
