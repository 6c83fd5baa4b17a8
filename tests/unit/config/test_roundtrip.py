"""Property: for random valid configs, resolve -> dump -> resolve gives the same Configuration."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kamalpy.config import Configuration, GitInfo, load_config
from kamalpy.config.dump import dump_config

NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
ENV_NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
WORDS = st.from_regex(r"[a-z0-9][a-z0-9./=-]{0,10}", fullmatch=True)
HOSTS = st.builds("10.0.{}.{}".format, st.integers(0, 3), st.integers(1, 9))
TAGS = st.sampled_from(["canary", "eu", "db"])


def _host_entry(host: str, tags: list[str]) -> Any:
    return {host: tags} if tags else host


host_lists = st.lists(
    st.builds(_host_entry, HOSTS, st.lists(TAGS, max_size=2, unique=True)),
    min_size=1,
    max_size=3,
    unique_by=lambda h: next(iter(h)) if isinstance(h, dict) else h,
)
_ENV_PARTS = {
    "clear": st.dictionaries(ENV_NAMES, st.one_of(WORDS, st.integers(0, 99)), max_size=3),
    "secret": st.lists(ENV_NAMES, max_size=2, unique=True),
}
# Tags only in the root env (Kamal: "tags are only allowed in the root env").
root_envs = st.one_of(
    st.dictionaries(ENV_NAMES, WORDS, max_size=3),
    st.fixed_dictionaries(
        _ENV_PARTS,
        optional={"tags": st.dictionaries(TAGS, st.dictionaries(ENV_NAMES, WORDS), max_size=2)},
    ),
)
envs = st.one_of(st.dictionaries(ENV_NAMES, WORDS, max_size=3), st.fixed_dictionaries(_ENV_PARTS))
logging = st.fixed_dictionaries(
    {},
    optional={
        "driver": st.sampled_from(["json-file", "local", "journald"]),
        "options": st.dictionaries(st.sampled_from(["max-size", "tag"]), WORDS),
    },
)
options = st.dictionaries(
    st.sampled_from(["memory", "cpus", "init", "label"]),
    st.one_of(WORDS, st.just(True), st.lists(WORDS, min_size=1, max_size=2)),
    max_size=3,
)
roles = st.fixed_dictionaries(
    {"hosts": host_lists},
    optional={
        "cmd": st.lists(WORDS, min_size=1, max_size=3).map(" ".join),
        "options": options,
        "env": envs,
        "labels": st.dictionaries(NAMES, WORDS, max_size=2),
        "logging": logging,
        "proxy": st.one_of(
            st.booleans(), st.fixed_dictionaries({"app_port": st.integers(1, 9999)})
        ),
    },
)
proxies = st.fixed_dictionaries(
    {},
    optional={
        "hosts": st.lists(WORDS, min_size=1, max_size=2, unique=True),
        "app_port": st.integers(1, 65535),
        "response_timeout": st.integers(1, 99),
        "path_prefix": st.just("/api,/v2"),
        "healthcheck": st.fixed_dictionaries(
            {"path": st.just("/health"), "interval": st.integers(1, 5)}
        ),
        "run": st.fixed_dictionaries({"http_port": st.integers(1, 9999), "options": options}),
    },
)
accessories = st.dictionaries(
    NAMES,
    st.fixed_dictionaries(
        {
            "image": st.builds("acme/{}:1".format, NAMES),
            "hosts": st.lists(HOSTS, min_size=1, max_size=2),
        },
        optional={
            "port": st.sampled_from([5432, "127.0.0.1:6379:6379"]),
            "cmd": st.lists(WORDS, min_size=1, max_size=3).map(" ".join),
            "options": options,
            "env": envs,
            "files": st.lists(st.builds("{}:/etc/{}".format, NAMES, NAMES), max_size=2),
            "directories": st.lists(
                st.fixed_dictionaries(
                    {"local": NAMES, "remote": st.just("/data"), "mode": st.just("0700")}
                ),
                max_size=1,
            ),
            "volumes": st.lists(st.builds("/{}:/{}".format, NAMES, NAMES), max_size=1),
            "proxy": st.fixed_dictionaries({"host": WORDS, "app_port": st.integers(1, 9999)}),
        },
    ),
    max_size=2,
)
configs = st.fixed_dictionaries(
    {
        "service": NAMES,
        "image": st.builds("acme/{}".format, NAMES),
        "servers": st.one_of(host_lists, st.dictionaries(NAMES, roles, min_size=1, max_size=3)),
        "builder": st.fixed_dictionaries(
            {"arch": st.sampled_from(["amd64", ["amd64", "arm64"]])},
            optional={"context": st.just("."), "args": st.dictionaries(ENV_NAMES, WORDS)},
        ),
        "registry": st.one_of(
            st.just({"server": "localhost:5555"}),
            st.fixed_dictionaries(
                {"server": st.just("ghcr.io"), "username": WORDS, "password": st.just(["TOKEN"])}
            ),
        ),
    },
    optional={
        "env": root_envs,
        "volumes": st.lists(st.builds("/{}:/{}".format, NAMES, NAMES), max_size=2),
        "labels": st.dictionaries(NAMES, WORDS, max_size=2),
        "logging": logging,
        "proxy": proxies,
        "ssh": st.fixed_dictionaries({"user": NAMES, "port": st.integers(1, 65535)}),
        "boot": st.fixed_dictionaries(
            {"limit": st.sampled_from([2, "25%"]), "wait": st.integers(0, 9)}
        ),
        "retain_containers": st.integers(1, 9),
        "aliases": st.dictionaries(NAMES, WORDS, max_size=2),
        "accessories": accessories,
        "hooks_output": st.one_of(st.just(":quiet"), st.dictionaries(NAMES, st.just(":verbose"))),
        "readiness_delay": st.integers(0, 30),
        "x-kamalpy": st.fixed_dictionaries({"inputs": st.lists(WORDS, max_size=2)}),
    },
)


def _with_valid_primary(config: dict[str, Any]) -> dict[str, Any]:
    servers = config["servers"]
    if isinstance(servers, dict) and "web" not in servers:
        config["primary_role"] = sorted(servers)[0]
    return config


def _load(directory: Path, document: dict[str, Any]) -> Configuration:
    path = directory / "deploy.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_config(path, destination=None, environ={}, version="v1", git=GitInfo(head=None))


# No shrinking: each example writes files, and a shrink run would take minutes.
@settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(configs.map(_with_valid_primary))
def test_resolve_dump_resolve_is_stable(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        first = _load(Path(directory), document)
        second = _load(Path(directory), dump_config(first))
    assert dataclasses.replace(second, path=first.path) == first
