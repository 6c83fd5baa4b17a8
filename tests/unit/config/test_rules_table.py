"""Every cross-key rule, each with a document it accepts and one it refuses (exact messages)."""

from __future__ import annotations

from typing import Any

import pytest

from kamalpy.config.rules import check_rules, role_path, role_specs

REGISTRY = {"server": "ghcr.io", "username": "bot", "password": ["REGISTRY_PASSWORD"]}
WEB = ["10.0.0.1"]


def problems(destination: str | None = None, **data: Any) -> list[str]:
    document = {"service": "app", "image": "acme/app", "servers": WEB, "registry": REGISTRY}
    document.update(data)
    return [
        "/".join(map(str, p.path)) + ": " + p.message for p in check_rules(document, destination)
    ]


CASES: list[tuple[str, dict[str, Any], str | None, list[str]]] = [
    ("service letters digits - _", {"service": "My_app-2"}, None, []),
    (
        "service with a dot",
        {"service": "my.app"},
        None,
        ["service: may contain only letters, digits, - and _"],
    ),
    ("require_destination given", {"require_destination": True}, "prod", []),
    (
        "require_destination missing",
        {"require_destination": True},
        None,
        ["require_destination: this service needs a destination: pass -d NAME"],
    ),
    ("primary role default web", {"servers": {"web": WEB, "jobs": WEB}}, None, []),
    ("primary role named", {"servers": {"jobs": WEB}, "primary_role": "jobs"}, None, []),
    (
        "primary role missing",
        {"servers": {"api": WEB, "jobs": WEB}},
        None,
        ["primary_role: no role 'web' (roles: api, jobs)"],
    ),
    (
        "primary role with no roles",
        {"servers": {}},
        None,
        ["primary_role: no role 'web' (roles: none)"],
    ),
    ("host with tags", {"servers": {"web": {"hosts": [{"10.0.0.1": ["a"]}]}}}, None, []),
    (
        "host with two keys",
        {"servers": {"web": {"hosts": [{"a": ["x"], "b": ["y"]}]}}},
        None,
        ["servers/web/hosts/0: a host with tags is one key: `host: [tags]`"],
    ),
    (
        "list form host with two keys",
        {"servers": ["10.0.0.1", {"a": 1, "b": 2}]},
        None,
        ["servers/1: a host with tags is one key: `host: [tags]`"],
    ),
    (
        "primary role without hosts",
        {"servers": {"web": []}},
        None,
        ["servers/web: role web has no hosts (the primary role needs at least one)"],
    ),
    (
        "other role without hosts",
        {"servers": {"web": WEB, "jobs": {"hosts": []}}},
        None,
        ["servers/jobs: role jobs has no hosts (set allow_empty_roles: true to allow that)"],
    ),
    (
        "other role empty allowed",
        {"servers": {"web": WEB, "jobs": []}, "allow_empty_roles": True},
        None,
        [],
    ),
    (
        "primary empty even when allowed",
        {"servers": {"web": []}, "allow_empty_roles": True},
        None,
        ["servers/web: role web has no hosts (the primary role needs at least one)"],
    ),
    (
        "proxy host and hosts",
        {"proxy": {"host": "a.test", "hosts": ["b.test"]}},
        None,
        ["proxy/hosts: use either host or hosts, not both"],
    ),
    (
        "proxy path_prefix and path_prefixes",
        {"proxy": {"path_prefix": "/a", "path_prefixes": ["/b"]}},
        None,
        ["proxy/path_prefixes: use either path_prefix or path_prefixes, not both"],
    ),
    (
        "role proxy host and hosts",
        {"servers": {"web": WEB, "api": {"hosts": WEB, "proxy": {"host": "a", "hosts": ["b"]}}}},
        None,
        ["servers/api/proxy/hosts: use either host or hosts, not both"],
    ),
    (
        "non-primary role without proxy is not checked",
        {"servers": {"web": WEB, "jobs": WEB}, "proxy": {"ssl": True, "host": "a.test"}},
        None,
        [],
    ),
    (
        "role proxy false skips ssl",
        {"servers": {"web": {"hosts": ["a", "b"], "proxy": False}}, "proxy": {"ssl": True}},
        None,
        [],
    ),
    (
        "ssl on a role's own proxy without host",
        {"servers": {"web": WEB, "api": {"hosts": WEB, "proxy": {"ssl": True}}}},
        None,
        ["servers/api/proxy/ssl: automatic SSL needs proxy host or hosts to be set"],
    ),
    (
        "ssl inherited from the top proxy by the primary role",
        {"servers": {"web": {"hosts": ["a", "b"]}}, "proxy": {"ssl": True, "host": "a.test"}},
        None,
        [
            "proxy/ssl: automatic SSL works with one server per role, role web has 2; give ssl a "
            "certificate_pem and private_key_pem to use your own certificate"
        ],
    ),
    (
        "accessory proxy host and hosts",
        {
            "accessories": {
                "db": {"image": "x", "host": "a", "proxy": {"host": "a", "hosts": ["b"]}}
            }
        },
        None,
        ["accessories/db/proxy/hosts: use either host or hosts, not both"],
    ),
    ("builder arch known", {"builder": {"arch": ["amd64", "arm64"]}}, None, []),
    (
        "builder arch unknown",
        {"builder": {"arch": "x86"}},
        None,
        ["builder/arch: unknown architecture 'x86' (use amd64 or arm64)"],
    ),
    (
        "builder arch list with one unknown",
        {"builder": {"arch": ["amd64", "riscv"]}},
        None,
        ["builder/arch: unknown architecture 'riscv' (use amd64 or arm64)"],
    ),
    ("env secrets well formed", {"env": {"secret": ["A", "B:C_2"]}}, None, []),
    (
        "env secret malformed",
        {"env": {"secret": ["A", "1B", "C:"]}},
        None,
        [
            "env/secret/1: should be NAME or NAME:SECRET_NAME",
            "env/secret/2: should be NAME or NAME:SECRET_NAME",
        ],
    ),
    (
        "role env secret malformed",
        {"servers": {"web": {"hosts": WEB, "env": {"secret": ["a-b"]}}}},
        None,
        ["servers/web/env/secret/0: should be NAME or NAME:SECRET_NAME"],
    ),
    (
        "tagged env secret malformed",
        {"env": {"tags": {"gpu": {"secret": ["x y"]}}}},
        None,
        ["env/tags/gpu/secret/0: should be NAME or NAME:SECRET_NAME"],
    ),
    (
        "accessory env secret malformed",
        {"accessories": {"db": {"image": "x", "host": "a", "env": {"secret": ["-"]}}}},
        None,
        ["accessories/db/env/secret/0: should be NAME or NAME:SECRET_NAME"],
    ),
    (
        "accessory on no place",
        {"accessories": {"db": {"image": "x"}}},
        None,
        ["accessories/db: set exactly one of host, hosts, role, roles, tag, tags"],
    ),
    (
        "accessory on two places",
        {"accessories": {"db": {"image": "x", "host": "a", "roles": ["web"]}}},
        None,
        ["accessories/db: set exactly one of host, hosts, role, roles, tag, tags"],
    ),
    ("accessory on a known role", {"accessories": {"db": {"image": "x", "role": "web"}}}, None, []),
    (
        "accessory on unknown roles",
        {"accessories": {"db": {"image": "x", "roles": ["web", "api"]}}},
        None,
        ["accessories/db/roles: no role 'api' in servers"],
    ),
    (
        "accessory on a known tag",
        {
            "servers": {"web": {"hosts": [{"10.0.0.1": ["gpu", "big"]}]}},
            "accessories": {"db": {"image": "x", "tags": ["big"]}},
        },
        None,
        [],
    ),
    (
        "accessory on a known scalar tag",
        {
            "servers": {"web": {"hosts": [{"10.0.0.1": "gpu"}]}},
            "accessories": {"db": {"image": "x", "tag": "gpu"}},
        },
        None,
        [],
    ),
    (
        "accessory on an unknown tag",
        {"accessories": {"db": {"image": "x", "tag": "gpu"}}},
        None,
        ["accessories/db/tag: no host tag 'gpu' in servers"],
    ),
    (
        "accessory files well formed",
        {
            "accessories": {
                "db": {"image": "x", "host": "a", "files": ["a:b"], "directories": ["c:d:ro"]}
            }
        },
        None,
        [],
    ),
    (
        "accessory files without remote",
        {
            "accessories": {
                "db": {"image": "x", "host": "a", "files": ["a"], "directories": ["x", "c:d"]}
            }
        },
        None,
        [
            "accessories/db/files/0: should be local:remote[:options]",
            "accessories/db/directories/0: should be local:remote[:options]",
        ],
    ),
    (
        "accessory registry",
        {"accessories": {"db": {"image": "x", "host": "a", "registry": {"server": "ghcr.io"}}}},
        None,
        [
            "accessories/db/registry/username: is required",
            "accessories/db/registry/password: is required",
        ],
    ),
    ("local host of a role", {"x-kamalpy": {"local_hosts": ["10.0.0.1"]}}, None, []),
    (
        "local host of a tagged role host",
        {"servers": {"web": {"hosts": [{"h1": ["gpu"]}]}}, "x-kamalpy": {"local_hosts": ["h1"]}},
        None,
        [],
    ),
    (
        "local host of an accessory",
        {
            "accessories": {
                "db": {"image": "x", "hosts": ["db1"]},
                "c": {"image": "y", "host": "c1"},
            },
            "x-kamalpy": {"local_hosts": ["db1", "c1"]},
        },
        None,
        [],
    ),
    (
        "local host unknown",
        {"x-kamalpy": {"local_hosts": ["10.0.0.1", "h9"]}},
        None,
        ["x-kamalpy/local_hosts/1: 'h9' is not a host of any role"],
    ),
]


@pytest.mark.parametrize(("data", "destination", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_rule(data: dict[str, Any], destination: str | None, expected: list[str]) -> None:
    assert problems(destination, **data) == expected


def test_roles_sort_by_name_and_the_list_form_is_one_web_role() -> None:
    assert list(role_specs({"servers": {"web": ["a"], "api": ["b"]}})) == ["api", "web"]
    assert role_specs({"servers": ["a"]}) == {"web": ["a"]}
    assert role_specs({}) == {}
    assert role_path({"servers": ["a"]}, "web") == ("servers",)
    assert role_path({"servers": {"web": ["a"]}}, "web") == ("servers", "web")
