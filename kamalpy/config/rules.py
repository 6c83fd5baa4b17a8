"""Rules that span several keys (run once the file has the right shape)."""

from __future__ import annotations

import re
import shlex
from typing import Any

from kamalpy.config.validate import Problem
from kamalpy.config.yamlmarks import deep_merge

KAMAL_SCHEMA_VERSION = (2, 11, 0)
_SERVICE = re.compile(r"^[a-z0-9_-]+$", re.IGNORECASE)
_SECRET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)?$")
_ACCESSORY_PLACES = ("host", "hosts", "role", "roles", "tag", "tags")


def role_specs(data: dict[str, Any]) -> dict[str, Any]:
    """Role name -> its raw value (a host list or a mapping), sorted by name as Kamal does."""
    servers = data.get("servers")
    if isinstance(servers, list):
        return {"web": servers}
    servers = servers if isinstance(servers, dict) else {}
    return {str(name): servers[name] for name in sorted(servers, key=str)}


def role_host_items(spec: Any) -> list[Any]:
    """The raw host entries of one role."""
    if isinstance(spec, list):
        return spec
    return list((spec or {}).get("hosts") or [])


def role_path(data: dict[str, Any], name: str) -> tuple[str, ...]:
    """Key path of a role's value (`servers` for the list form)."""
    return ("servers",) if isinstance(data.get("servers"), list) else ("servers", name)


def check_rules(data: dict[str, Any], destination: str | None) -> list[Problem]:
    """Every cross-key problem of a schema-valid document."""
    problems = _check_top(data, destination)
    problems += _check_roles(data)
    problems += _check_proxies(data)
    problems += _check_registry(data.get("registry") or {}, ("registry",))
    problems += _check_builder(data.get("builder") or {})
    problems += _check_envs(data)
    problems += _check_accessories(data)
    problems += _check_local_hosts(data)
    return problems


def _host_name(item: Any) -> str:
    """A host entry's name: `h1`, or the key of `{h1: [tags]}`."""
    return str(next(iter(item))) if isinstance(item, dict) and item else str(item)


def _check_local_hosts(data: dict[str, Any]) -> list[Problem]:
    """Each `x-kamalpy.local_hosts` entry must be a host of a role or an accessory."""
    local = (data.get("x-kamalpy") or {}).get("local_hosts") or []
    known = {_host_name(i) for spec in role_specs(data).values() for i in role_host_items(spec)}
    for accessory in (data.get("accessories") or {}).values():
        accessory = accessory if isinstance(accessory, dict) else {}
        known.update(str(h) for h in [accessory.get("host"), *(accessory.get("hosts") or [])] if h)
    return [
        Problem(("x-kamalpy", "local_hosts", str(i)), f"{host!r} is not a host of any role")
        for i, host in enumerate(local)
        if str(host) not in known
    ]


def _check_top(data: dict[str, Any], destination: str | None) -> list[Problem]:
    problems = []
    if not _SERVICE.match(str(data["service"])):
        problems.append(Problem(("service",), "may contain only letters, digits, - and _"))
    if data.get("require_destination") and not destination:
        problems.append(
            Problem(("require_destination",), "this service needs a destination: pass -d NAME")
        )
    minimum = data.get("minimum_version")
    if minimum is not None:
        wanted = tuple(int(p) for p in re.findall(r"[0-9]+", str(minimum))[:3])
        if wanted > KAMAL_SCHEMA_VERSION:
            problems.append(
                Problem(("minimum_version",), f"needs Kamal {minimum}; kamalpy reads 2.11.0 files")
            )
    limit = (data.get("boot") or {}).get("limit")
    if isinstance(limit, str) and not re.fullmatch(r"[0-9]+%?", limit.strip()):
        problems.append(Problem(("boot", "limit"), 'should be a number or a percentage like "25%"'))
    return problems


def _check_roles(data: dict[str, Any]) -> list[Problem]:
    problems = []
    specs = role_specs(data)
    primary = str(data.get("primary_role") or "web")
    if primary not in specs:
        known = ", ".join(specs) or "none"
        problems.append(Problem(("primary_role",), f"no role {primary!r} (roles: {known})"))
    for name, spec in specs.items():
        path = role_path(data, name)
        hosts_path = path if isinstance(spec, list) else (*path, "hosts")
        items = role_host_items(spec)
        for index, item in enumerate(items):
            if isinstance(item, dict) and len(item) != 1:
                problems.append(
                    Problem((*hosts_path, index), "a host with tags is one key: `host: [tags]`")
                )
        if not items and (name == primary or not data.get("allow_empty_roles")):
            why = (
                "the primary role needs at least one"
                if name == primary
                else "set allow_empty_roles: true to allow that"
            )
            problems.append(Problem(path, f"role {name} has no hosts ({why})"))
        if isinstance(spec, dict):
            problems += _check_argv(spec.get("cmd"), (*path, "cmd"))
    return problems


def _check_argv(value: Any, path: tuple[str, ...]) -> list[Problem]:
    if value is None:
        return []
    try:
        shlex.split(str(value))
    except ValueError as error:
        return [Problem(path, f"cannot be split into arguments: {error}")]
    return []


def _check_proxies(data: dict[str, Any]) -> list[Problem]:
    top = data.get("proxy") or {}
    problems = _check_proxy_keys(top, ("proxy",))
    primary = str(data.get("primary_role") or "web")
    for name, spec in role_specs(data).items():
        own = spec.get("proxy") if isinstance(spec, dict) else None
        path = (*role_path(data, name), "proxy")
        if own is False or (own is None and name != primary):
            continue
        if isinstance(own, dict):
            problems += _check_proxy_keys(own, path)
        merged = deep_merge(own if isinstance(own, dict) else {}, top)
        problems += _check_ssl(merged, path if isinstance(own, dict) else ("proxy",), name, spec)
    for name, acc in (data.get("accessories") or {}).items():
        if isinstance(acc.get("proxy"), dict):
            problems += _check_proxy_keys(acc["proxy"], ("accessories", str(name), "proxy"))
    return problems


def _check_proxy_keys(proxy: dict[str, Any], path: tuple[str, ...]) -> list[Problem]:
    problems = []
    for one, many in (("host", "hosts"), ("path_prefix", "path_prefixes")):
        if proxy.get(one) is not None and proxy.get(many) is not None:
            problems.append(Problem((*path, many), f"use either {one} or {many}, not both"))
    return problems


def _check_ssl(proxy: dict[str, Any], path: tuple[str, ...], role: str, spec: Any) -> list[Problem]:
    if proxy.get("ssl") is not True:
        return []
    if not proxy.get("host") and not proxy.get("hosts"):
        return [Problem((*path, "ssl"), "automatic SSL needs proxy host or hosts to be set")]
    count = len(role_host_items(spec))
    if count > 1:
        return [
            Problem(
                (*path, "ssl"),
                f"automatic SSL works with one server per role, role {role} has {count}; "
                "give ssl a certificate_pem and private_key_pem to use your own certificate",
            )
        ]
    return []


def _check_registry(registry: dict[str, Any], path: tuple[str, ...]) -> list[Problem]:
    host = str(registry.get("server") or "").split(":")[0]
    if host in ("localhost", "127.0.0.1"):
        return []
    return [
        Problem((*path, key), "is required")
        for key in ("username", "password")
        if registry.get(key) in (None, "", [])
    ]


def _check_builder(builder: dict[str, Any]) -> list[Problem]:
    arch = builder.get("arch")
    archs = arch if isinstance(arch, list) else [arch]
    return [
        Problem(("builder", "arch"), f"unknown architecture {a!r} (use amd64 or arm64)")
        for a in archs
        if a is not None and str(a) not in ("amd64", "arm64")
    ]


def _env_paths(data: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = [(("env",), data.get("env"))]
    for name, spec in role_specs(data).items():
        if isinstance(spec, dict):
            found.append(((*role_path(data, name), "env"), spec.get("env")))
    for name, acc in (data.get("accessories") or {}).items():
        found.append((("accessories", str(name), "env"), acc.get("env")))
    return found


def _check_envs(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    pending = _env_paths(data)
    while pending:
        path, env = pending.pop(0)
        if not isinstance(env, dict):
            continue
        for index, spec in enumerate(env.get("secret") or []):
            if not _SECRET.match(str(spec)):
                problems.append(
                    Problem((*path, "secret", index), "should be NAME or NAME:SECRET_NAME")
                )
        for tag, tag_env in (env.get("tags") or {}).items():
            pending.append(((*path, "tags", str(tag)), tag_env))
    return problems


def _check_accessories(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    roles = role_specs(data)
    tags = {str(t) for spec in roles.values() for t in _item_tags(role_host_items(spec))}
    for name, acc in (data.get("accessories") or {}).items():
        path = ("accessories", str(name))
        places = [key for key in _ACCESSORY_PLACES if acc.get(key) not in (None, [])]
        if len(places) != 1:
            problems.append(Problem(path, "set exactly one of host, hosts, role, roles, tag, tags"))
        for key, known, what in (
            ("role", roles, "role"),
            ("roles", roles, "role"),
            ("tag", tags, "host tag"),
            ("tags", tags, "host tag"),
        ):
            wanted = acc.get(key) or []
            for item in wanted if isinstance(wanted, list) else [wanted]:
                if str(item) not in known:
                    problems.append(Problem((*path, key), f"no {what} {item!r} in servers"))
        problems += _check_argv(acc.get("cmd"), (*path, "cmd"))
        if isinstance(acc.get("registry"), dict):
            problems += _check_registry(acc["registry"], (*path, "registry"))
        for kind in ("files", "directories"):
            for index, item in enumerate(acc.get(kind) or []):
                if isinstance(item, str) and ":" not in item:
                    problems.append(
                        Problem((*path, kind, index), "should be local:remote[:options]")
                    )
    return problems


def _item_tags(items: list[Any]) -> list[str]:
    tags: list[str] = []
    for item in items:
        if isinstance(item, dict):
            for value in item.values():
                tags += [str(t) for t in (value if isinstance(value, list) else [value])]
    return tags
