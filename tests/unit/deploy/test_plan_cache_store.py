"""The plan cache file: what it refuses to read, and what it never writes."""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import pytest

from kamalpy.config.sections import Credential
from kamalpy.config.trace import LoadTrace
from kamalpy.deploy.plan_cache import FILE_NAME, Entry, PlanCache, fingerprint
from kamalpy.monorepo.tree import Tree
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import sample_config

TREE = Tree({"services/api/deploy.yml": "a" * 40}, revision="c" * 40)
CONFIG = sample_config()


def _cache(environ: dict[str, str] | None = None, code: str = "code-1") -> PlanCache:
    return PlanCache(code, environ or {}, None, lambda config: config)


def _stored(tmp_path: Path, environ: dict[str, str], trace: LoadTrace) -> tuple[Path, str]:
    """A cache with one entry for `trace`, saved in `tmp_path`; (its file, the entry's key)."""
    cache = _cache(environ)
    cache.open(tmp_path)
    key = cache.key(TREE, "services/api/deploy.yml", Path("/repo"))
    assert key is not None
    entry = cache.entry("", TREE.revision, trace, CONFIG, {"image": "1"})
    assert entry is not None
    cache.put(key, entry)
    cache.save()
    return tmp_path / "kamalpy-cache" / FILE_NAME, key


def _reopened(
    tmp_path: Path, environ: dict[str, str] | None = None, code: str = "code-1"
) -> PlanCache:
    cache = _cache(environ, code)
    cache.open(tmp_path)
    return cache


def test_an_entry_comes_back_while_the_env_its_erb_read_is_unchanged(tmp_path: Path) -> None:
    _file, key = _stored(tmp_path, {"REGION": "eu"}, LoadTrace(env={"REGION": "eu"}))
    assert _reopened(tmp_path, {"REGION": "eu"}).get(key, TREE) is not None
    assert _reopened(tmp_path, {"REGION": "us"}).get(key, TREE) is None
    assert _reopened(tmp_path, {}).get(key, TREE) is None


def test_env_values_are_kept_as_macs_never_in_clear(tmp_path: Path) -> None:
    file, _key = _stored(
        tmp_path, {"TOKEN": "hunter2-value"}, LoadTrace(env={"TOKEN": "hunter2-value"})
    )
    assert b"hunter2-value" not in file.read_bytes()
    assert oct(file.stat().st_mode & 0o777) == "0o600"


def test_another_codes_cache_is_ignored(tmp_path: Path) -> None:
    _file, key = _stored(tmp_path, {}, LoadTrace())
    assert _reopened(tmp_path, code="code-2").get(key, TREE) is None


def test_a_corrupt_file_is_no_cache(tmp_path: Path) -> None:
    file, key = _stored(tmp_path, {}, LoadTrace())
    file.write_bytes(file.read_bytes()[:100])
    assert _reopened(tmp_path).get(key, TREE) is None


def test_a_file_others_may_write_is_ignored(tmp_path: Path) -> None:
    file, key = _stored(tmp_path, {}, LoadTrace())
    file.chmod(0o666)
    assert _reopened(tmp_path).get(key, TREE) is None


class _Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("touch planted-marker",)


def test_a_planted_pickle_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    file, key = _stored(tmp_path, {}, LoadTrace())
    data = {"code": "code-1", "salt": b"s" * 32, "entries": {key: pickle.dumps(_Planted())}}
    file.write_bytes(pickle.dumps(data))
    assert _reopened(tmp_path).get(key, TREE) is None
    file.write_bytes(pickle.dumps(_Planted()))
    assert _reopened(tmp_path).get(key, TREE) is None
    assert not (tmp_path / "planted-marker").exists()


def test_a_load_that_ran_a_command_or_read_a_file_is_not_cached() -> None:
    for opaque in (["ERB ran a command"], ["ERB read a file"], ["warned"]):
        assert _cache().entry("", None, LoadTrace(opaque=opaque), CONFIG, {}) is None


def _with_literal(value: str) -> object:
    registry = dataclasses.replace(CONFIG.registry, username=Credential(literal=Sensitive(value)))
    return dataclasses.replace(CONFIG, registry=registry)


def test_a_literal_credential_is_cached_only_when_written_in_clear_in_the_file() -> None:
    config = _with_literal("deploy-bot")
    written = "registry:\n  username: deploy-bot\n"
    assert _cache().entry(written, None, LoadTrace(), config, {}) is not None  # type: ignore[arg-type]
    # Rendered from the environment by ERB: the cache would hold a secret git does not.
    from_env = "registry:\n  username: <%= ENV['USER_NAME'] %>\n"
    assert _cache().entry(from_env, None, LoadTrace(), config, {}) is None  # type: ignore[arg-type]
    trace = LoadTrace(env={"BOT": "deploy-bot"})
    assert _cache().entry(written, None, trace, config, {}) is None  # type: ignore[arg-type]


def test_an_entry_that_read_head_needs_the_same_head(tmp_path: Path) -> None:
    _file, key = _stored(tmp_path, {}, LoadTrace(head=True))
    assert _reopened(tmp_path).get(key, TREE) is not None
    moved = Tree(dict(TREE.files), revision="d" * 40)
    assert _reopened(tmp_path).get(key, moved) is None


def test_the_key_covers_the_deploy_files_blobs() -> None:
    cache = _cache()
    other = Tree({"services/api/deploy.yml": "b" * 40})
    path = "services/api/deploy.yml"
    assert cache.key(TREE, path, Path("/repo")) != cache.key(other, path, Path("/repo"))
    staged = dataclasses.replace(cache, destination="staging")
    assert staged.key(TREE, path, Path("/repo")) is None  # no overlay file: not cached
    assert staged.files(path) == [path, "services/api/deploy.staging.yml"]


def test_the_code_fingerprint_changes_with_the_version_and_any_package_file(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("A = 1\n")
    first = fingerprint("1.0", tmp_path)
    assert fingerprint("1.1", tmp_path) != first
    (tmp_path / "mod.py").write_text("A = 22\n")
    assert fingerprint("1.0", tmp_path) != first


def test_entries_round_trip_with_read_only_maps_and_literals(tmp_path: Path) -> None:
    config = _with_literal("deploy-bot")
    cache = _cache()
    cache.open(tmp_path)
    entry = cache.entry("username: deploy-bot", None, LoadTrace(), config, {"a": "1"})  # type: ignore[arg-type]
    assert isinstance(entry, Entry)
    key = cache.key(TREE, "services/api/deploy.yml", Path("/repo"))
    assert key is not None
    cache.put(key, entry)
    cache.save()
    again = _reopened(tmp_path).get(key, TREE)
    assert again == entry


DEPLOY = """\
service: api
image: team/api
servers:
  web:
    hosts: [h1]
registry:
  server: registry.example.com
  username: team
  password: [REGISTRY_PASSWORD]
builder:
  arch: amd64
"""


@pytest.mark.parametrize(
    ("extra", "reusable"),
    [
        ("", True),
        ("env:\n  clear:\n    A: <%= ENV.fetch('REGION', 'x') %>\n", True),
        ("error_pages_path: pages\n", False),  # pages read from disk while resolving
        ("env:\n  clear:\n    A: <%= File.read('pages/5xx.html') %>\n", False),
    ],
)
def test_a_load_that_reads_other_files_is_not_reusable(
    tmp_path: Path, extra: str, reusable: bool
) -> None:
    from kamalpy.config.loader import load_config

    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "5xx.html").write_text("<p>down</p>")
    (tmp_path / "deploy.yml").write_text(DEPLOY + extra)
    trace = LoadTrace()
    load_config(tmp_path / "deploy.yml", destination=None, environ={}, version="v1", trace=trace)
    assert trace.reusable is reusable, trace.opaque
