"""Values that end up in ssh or docker argv: checked when the file loads, not when ssh runs.

A host `-oProxyCommand=...` would be read by ssh as an option, `h1;x` is shell syntax on the
far side; a negative interval makes a health check spin. Kamal lets these through; kamalpy
names the key path instead.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from kamalpy.config.rules import role_host_items, role_path, role_specs
from kamalpy.config.validate import Problem

# Host names, IPv4/IPv6 addresses, optionally `user@` and `:port` (SSHKit reads both).
_HOST = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*@)?(?:[A-Za-z0-9_:.%\[\]-]+)$")
_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*\$?$")
Path = tuple[str | int, ...]

# (key path with "*" for any role/accessory name, minimum, maximum or None)
_RANGES: tuple[tuple[tuple[str, ...], int, int | None], ...] = (
    (("readiness_delay",), 0, None),
    (("deploy_timeout",), 1, None),
    (("drain_timeout",), 0, None),
    (("boot", "wait"), 0, None),
    (("sshkit", "max_concurrent_starts"), 1, None),
    (("sshkit", "pool_idle_timeout"), 0, None),
    (("sshkit", "dns_retries"), 0, None),
    (("proxy", "run", "http_port"), 1, 65535),
    (("proxy", "run", "https_port"), 1, 65535),
    (("proxy", "run", "metrics_port"), 1, 65535),
    (("x-kamalpy", "proxy_api_port"), 1, 65535),
    (("x-kamalpy", "parallel_hosts"), 1, None),
    (("x-kamalpy", "command_timeouts", "quick"), 1, None),
    (("x-kamalpy", "command_timeouts", "long"), 1, None),
)
# The same inside every proxy setting (top level, per role, per accessory).
_PROXY_RANGES: tuple[tuple[tuple[str, ...], int, int | None], ...] = (
    (("app_port",), 1, 65535),
    (("response_timeout",), 1, None),
    (("healthcheck", "interval"), 1, None),
    (("healthcheck", "timeout"), 1, None),
    (("buffering", "max_request_body"), 0, None),
    (("buffering", "max_response_body"), 0, None),
    (("buffering", "memory"), 0, None),
)


def check_safety(data: dict[str, Any]) -> list[Problem]:
    """Hosts, users, ports and paths that could turn into options or shell; numbers in range."""
    problems = [
        Problem(path, f"{host!r} is not a host name or address{_why(str(host))}")
        for path, host in _hosts(data)
        if not _HOST.match(str(host)) or str(host).startswith("-")
    ]
    ssh = _section(data, "ssh")
    user = ssh.get("user")
    if user is not None and not _USER.match(str(user)):
        problems.append(Problem(("ssh", "user"), f"{user!r} is not a user name{_why(str(user))}"))
    problems += _port(ssh.get("port"), ("ssh", "port"))
    problems += [
        Problem(path, f"{value!r} is refused as a path{_why(value)}")
        for path, value in _paths(data)
        if value.startswith("-") or "\n" in value or "\0" in value
    ]
    problems += _ranges(data)
    run = _section(_section(data, "proxy"), "run")
    for index, ip in enumerate(run.get("bind_ips") or []):
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            path = ("proxy", "run", "bind_ips", index)
            problems.append(Problem(path, f"{ip!r} is not an IP address"))
    return problems


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _why(text: str) -> str:
    if text.startswith("-"):
        return ": it starts with -, so ssh or docker would read it as an option"
    odd = sorted({c for c in text if not (c.isalnum() or c in "_.-:@[]%/")})
    return f": it contains {' '.join(repr(c) for c in odd)}" if odd else ""


def _hosts(data: dict[str, Any]) -> Iterator[tuple[Path, Any]]:
    for name, spec in role_specs(data).items():
        path = role_path(data, name)
        hosts_path = path if isinstance(spec, list) else (*path, "hosts")
        for index, item in enumerate(role_host_items(spec)):
            host = next(iter(item)) if isinstance(item, dict) and item else item
            yield (*hosts_path, index), host
    for name, acc in _accessories(data):
        if acc.get("host") is not None:
            yield ("accessories", name, "host"), acc["host"]
        for index, host in enumerate(acc.get("hosts") or []):
            yield ("accessories", name, "hosts", index), host
    ssh = _section(data, "ssh")
    if ssh.get("proxy") not in (None, False):
        yield ("ssh", "proxy"), ssh["proxy"]
    extras = _section(data, "x-kamalpy")
    for index, host in enumerate(extras.get("local_hosts") or []):
        yield ("x-kamalpy", "local_hosts", index), host


def _accessories(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, acc in (data.get("accessories") or {}).items():
        if isinstance(acc, dict):
            yield str(name), acc


def _paths(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    for key in ("hooks_path", "asset_path", "error_pages_path", "secrets_path", "run_directory"):
        if isinstance(data.get(key), str):
            yield (key,), data[key]
    builder = _section(data, "builder")
    for key in ("context", "dockerfile"):
        if isinstance(builder.get(key), str):
            yield ("builder", key), builder[key]
    yield from _string_items(data.get("volumes"), ("volumes",))
    for name, spec in role_specs(data).items():
        if isinstance(spec, dict) and isinstance(spec.get("asset_path"), str):
            yield (*role_path(data, name), "asset_path"), spec["asset_path"]
    for name, acc in _accessories(data):
        for key in ("volumes", "files", "directories"):
            yield from _string_items(acc.get(key), ("accessories", name, key))
        if isinstance(acc.get("port"), str):
            yield ("accessories", name, "port"), acc["port"]


def _string_items(items: Any, path: Path) -> Iterator[tuple[Path, str]]:
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, str):
            yield (*path, index), item
        elif isinstance(item, dict):
            for key in ("local", "remote"):
                if isinstance(item.get(key), str):
                    yield (*path, index, key), item[key]


def _port(value: Any, path: Path) -> list[Problem]:
    if value is None:
        return []
    text = str(value).strip()
    if (
        isinstance(value, bool)
        or not re.fullmatch("[0-9]{1,5}", text)
        or not 1 <= int(text) <= 65535
    ):
        return [Problem(path, f"{value!r} is not a port number (1-65535)")]
    return []


def _ranges(data: dict[str, Any]) -> list[Problem]:
    problems = [p for keys, low, high in _RANGES for p in _in_range(data, keys, low, high)]
    for base, proxy in _proxies(data):
        for keys, low, high in _PROXY_RANGES:
            problems += _in_range(proxy, keys, low, high, base)
    boot = _section(data, "boot")
    limit = boot.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit < 1:
        problems.append(Problem(("boot", "limit"), "should be at least 1"))
    elif isinstance(limit, str) and limit.strip().endswith("%"):
        digits = limit.strip()[:-1]
        if re.fullmatch("[0-9]{1,4}", digits) and not 1 <= int(digits) <= 100:
            problems.append(Problem(("boot", "limit"), "should be between 1% and 100%"))
    return problems


def _proxies(data: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(data.get("proxy"), dict):
        yield ("proxy",), data["proxy"]
    for name, spec in role_specs(data).items():
        if isinstance(spec, dict) and isinstance(spec.get("proxy"), dict):
            yield (*role_path(data, name), "proxy"), spec["proxy"]
    for name, acc in _accessories(data):
        if isinstance(acc.get("proxy"), dict):
            yield ("accessories", name, "proxy"), acc["proxy"]


def _in_range(
    data: dict[str, Any], keys: tuple[str, ...], low: int, high: int | None, base: Path = ()
) -> list[Problem]:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        return []
    if value < low or (high is not None and value > high):
        wanted = f"between {low} and {high}" if high is not None else f"at least {low}"
        return [Problem((*base, *keys), f"should be {wanted}, not {value}")]
    return []
