"""Cross-key rules on both sides of each limit: the last accepted value and the first refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kamalpy.config.rules import check_rules

BASE: dict[str, Any] = {
    "service": "app",
    "image": "acme/app",
    "servers": ["10.0.0.1"],
    "registry": {"server": "ghcr.io", "username": "bot", "password": ["REGISTRY_PASSWORD"]},
}


def problems(**changes: Any) -> list[str]:
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return ["/".join(map(str, p.path)) + ": " + p.message for p in check_rules(data, None)]


def test_the_base_document_has_no_problem() -> None:
    assert problems() == []


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        ("2.11.0", False),  # exactly what kamalpy reads
        ("2.11", False),
        ("v2.11.0", False),
        ("2.10.99", False),
        ("1.9.0", False),
        ("2.11.1", True),  # the first newer patch
        ("2.12.0", True),
        ("2.12", True),
        ("3", True),
        ("3.0.0", True),
    ],
)
def test_minimum_version_newer_than_kamal_2_11_0_is_refused(version: str, refused: bool) -> None:
    expected = [f"minimum_version: needs Kamal {version}; kamalpy reads 2.11.0 files"]
    assert problems(minimum_version=version) == (expected if refused else [])


@pytest.mark.parametrize("empty", ["", [], None])
@pytest.mark.parametrize("key", ["username", "password"])
def test_an_empty_registry_credential_is_required(key: str, empty: Any) -> None:
    registry = {**BASE["registry"], key: empty}
    assert problems(registry=registry) == [f"registry/{key}: is required"]


@pytest.mark.parametrize("server", ["localhost:5000", "127.0.0.1:5000", "localhost"])
def test_a_local_registry_needs_no_credentials(server: str) -> None:
    assert problems(registry={"server": server, "username": ""}) == []


def test_an_accessory_registry_is_checked_the_same_way() -> None:
    accessory = {
        "image": "redis",
        "host": "10.0.0.1",
        "registry": {"server": "ghcr.io", "username": "", "password": "x"},
    }
    assert problems(accessories={"db": accessory}) == [
        "accessories/db/registry/username: is required"
    ]


@pytest.mark.parametrize(
    ("limit", "refused"),
    [
        (1, False),
        ("2", False),
        ("25%", False),
        (" 25% ", False),
        ("x", True),
        ("25 %", True),
        ("%", True),
    ],
)
def test_boot_limit_is_a_number_or_a_percentage(limit: Any, refused: bool) -> None:
    expected = ['boot/limit: should be a number or a percentage like "25%"']
    assert problems(boot={"limit": limit}) == (expected if refused else [])


@pytest.mark.parametrize(("hosts", "refused"), [(1, False), (2, True)])
def test_automatic_ssl_allows_exactly_one_server_per_role(hosts: int, refused: bool) -> None:
    servers = [f"10.0.0.{i + 1}" for i in range(hosts)]
    found = problems(servers=servers, proxy={"ssl": True, "host": "app.test"})
    assert bool(found) is refused
    if refused:
        assert found[0].startswith("proxy/ssl: automatic SSL works with one server per role")


@pytest.mark.parametrize(
    ("cmd", "refused"), [("bin/jobs --queue 'a b'", False), ("echo 'open", True)]
)
def test_a_cmd_must_split_into_arguments(cmd: str, refused: bool) -> None:
    servers = {"web": ["10.0.0.1"], "jobs": {"hosts": ["10.0.0.1"], "cmd": cmd}}
    accessory = {"image": "redis", "host": "10.0.0.1", "cmd": cmd}
    found = problems(servers=servers, accessories={"db": accessory})
    expected = [
        f"{path}/cmd: cannot be split into arguments: No closing quotation"
        for path in ("servers/jobs", "accessories/db")
    ]
    assert found == (expected if refused else [])


@pytest.mark.parametrize("key", ["host", "hosts"])
def test_automatic_ssl_accepts_host_or_hosts_and_needs_one(key: str) -> None:
    names: Any = "app.test" if key == "host" else ["app.test"]
    assert problems(proxy={"ssl": True, key: names}) == []
    assert problems(proxy={"ssl": True}) == [
        "proxy/ssl: automatic SSL needs proxy host or hosts to be set"
    ]


def test_every_problem_is_reported_not_only_the_last_of_each_kind() -> None:
    accessories = {
        "db": {"image": "x", "role": "jobs", "proxy": {"host": "a", "hosts": ["b"]}},
        "cache": {
            "image": "x",
            "tags": ["gpu"],
            "registry": {"server": "ghcr.io", "password": "p"},
        },
    }
    servers = {
        "web": {"hosts": ["10.0.0.1"], "proxy": {"host": "a", "hosts": ["b"]}},
        "api": {"hosts": ["10.0.0.1"], "proxy": {"path_prefix": "/a", "path_prefixes": ["/b"]}},
    }
    assert problems(servers=servers, accessories=accessories) == [
        "servers/api/proxy/path_prefixes: use either path_prefix or path_prefixes, not both",
        "servers/web/proxy/hosts: use either host or hosts, not both",
        "accessories/db/proxy/hosts: use either host or hosts, not both",
        "accessories/db/role: no role 'jobs' in servers",
        "accessories/cache/tags: no host tag 'gpu' in servers",
        "accessories/cache/registry/username: is required",
    ]


def test_a_proxied_primary_role_other_than_web_is_checked() -> None:
    servers = {"api": {"hosts": ["a", "b"]}, "web": {"hosts": ["c"]}}
    found = problems(servers=servers, primary_role="api", proxy={"ssl": True, "host": "x"})
    assert [p.split(":")[0] for p in found] == ["proxy/ssl"]
    assert "role api has 2" in found[0]


def test_host_tags_from_every_host_count_for_accessories() -> None:
    servers = {"web": {"hosts": [{"h1": ["gpu"]}, {"h2": ["big"]}]}}
    accessories = {"a": {"image": "x", "tag": "gpu"}, "b": {"image": "x", "tag": "big"}}
    assert problems(servers=servers, accessories=accessories) == []


def test_a_fourth_version_part_is_ignored() -> None:
    assert problems(minimum_version="2.11.0.9") == []


def test_a_role_without_a_proxy_does_not_end_the_check_of_the_roles_after_it() -> None:
    servers = {
        "jobs": {"hosts": ["10.0.0.1"]},  # sorts first, not primary, no proxy: skipped
        "web": {"hosts": ["10.0.0.1"], "proxy": {"host": "a", "hosts": ["b"]}},
    }
    assert problems(servers=servers) == [
        "servers/web/proxy/hosts: use either host or hosts, not both"
    ]
