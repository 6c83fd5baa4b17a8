"""The rest of Kamal 2.11's validation messages, each as a kamalpy rule at its key path.

Kamal rejects these files; kamalpy must too, or a file that works here fails under Kamal.
"""

from __future__ import annotations

import re
from typing import Any

from kamalpy.config.rules import role_host_items, role_path, role_specs
from kamalpy.config.validate import Problem

_RESERVED_LABELS = ("destination", "role", "service")
_ALIAS = re.compile(r"^[a-z0-9_-]+$")
# `kamal help` of 2.11: an alias may not shadow these.
_KAMAL_COMMANDS = frozenset(
    (
        *("accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "help"),
        *("init", "lock", "proxy", "prune", "redeploy", "registry", "remove", "rollback"),
        *("secrets", "server", "setup", "tree", "upgrade", "version"),
    )
)
_HOOKS_OUTPUT = ("quiet", "verbose")


def check_kamal_rules(data: dict[str, Any]) -> list[Problem]:
    """Every Kamal 2.11 rule the schema and `rules.check_rules` do not already cover."""
    problems: list[Problem] = []
    for path, spec in _containers(data):
        problems += _docker_options(spec.get("options"), (*path, "options"))
        problems += _reserved_labels(spec.get("labels"), (*path, "labels"))
        env = spec.get("env")
        if isinstance(env, dict) and env.get("tags") is not None:
            problems.append(
                Problem((*path, "env", "tags"), "tags are only allowed in the root env")
            )
    problems += _builder(data.get("builder") or {})
    problems += _aliases(data.get("aliases") or {})
    problems += _hooks_output(data.get("hooks_output"))
    problems += _ssl_hosts(data)
    problems += _proxy_run((data.get("proxy") or {}).get("run"))
    problems += _registry(data)
    if isinstance(data.get("retain_containers"), int) and data["retain_containers"] < 1:
        problems.append(Problem(("retain_containers",), "must retain at least 1 container"))
    return problems


def _containers(data: dict[str, Any]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path, mapping) of every role given as a mapping and every accessory."""
    found = [
        (role_path(data, name), spec)
        for name, spec in role_specs(data).items()
        if isinstance(spec, dict)
    ]
    found += [
        (("accessories", str(name)), spec)
        for name, spec in (data.get("accessories") or {}).items()
        if isinstance(spec, dict)
    ]
    return found


def _docker_options(options: Any, path: tuple[str, ...]) -> list[Problem]:
    if isinstance(options, dict) and options.get("restart"):
        return [
            Problem(
                (*path, "restart"),
                "cannot set the restart policy in docker options: unless-stopped is required",
            )
        ]
    return []


def _reserved_labels(labels: Any, path: tuple[str, ...]) -> list[Problem]:
    if not isinstance(labels, dict):
        return []
    return [
        Problem((*path, str(key)), "reserved label: destination, role and service are set by Kamal")
        for key in labels
        if str(key) in _RESERVED_LABELS
    ]


def _builder(builder: dict[str, Any]) -> list[Problem]:
    problems = []
    cache = builder.get("cache")
    if isinstance(cache, dict) and str(cache.get("type")) not in ("gha", "registry"):
        problems.append(
            Problem(
                ("builder", "cache", "type"),
                f"invalid cache type {cache.get('type')!r} (use gha or registry)",
            )
        )
    remote = builder.get("remote")
    if builder.get("local") is False and (remote is None or remote is False or remote == ""):
        problems.append(
            Problem(("builder", "local"), "cannot disable local builds: no remote is set")
        )
    arch = builder.get("arch")
    if builder.get("pack") and isinstance(arch, list) and len(arch) > 1:
        problems.append(Problem(("builder", "pack"), "buildpacks build for one arch only"))
    return problems


def _aliases(aliases: dict[str, Any]) -> list[Problem]:
    problems = []
    for name in aliases:
        path = ("aliases", str(name))
        if not _ALIAS.match(str(name)):
            problems.append(
                Problem(
                    path,
                    "alias names may contain only lowercase letters, digits, - and _",
                    at_key=True,
                )
            )
        elif str(name) in _KAMAL_COMMANDS:
            problems.append(
                Problem(path, f"alias {name!r} conflicts with a built-in command", at_key=True)
            )
    return problems


def _hooks_output(value: Any) -> list[Problem]:
    levels = value.items() if isinstance(value, dict) else [(None, value)]
    problems = []
    for hook, level in levels:
        if level is None or str(level).lstrip(":") in _HOOKS_OUTPUT:
            continue
        path = ("hooks_output",) if hook is None else ("hooks_output", str(hook))
        problems.append(Problem(path, f"invalid level {level!r} (use quiet or verbose)"))
    return problems


def _proxy_hosts(proxy: Any) -> list[str]:
    if not isinstance(proxy, dict):
        return []
    hosts = proxy.get("hosts") or ([proxy["host"]] if proxy.get("host") else [])
    return [h.strip() for item in hosts for h in str(item).split(",") if h.strip()]


def _ssl_hosts(data: dict[str, Any]) -> list[Problem]:
    """Two roles serving the same host name with automatic SSL: Kamal refuses."""
    top = data.get("proxy") or {}
    primary = str(data.get("primary_role") or "web")
    owners: dict[str, list[str]] = {}
    for name, spec in role_specs(data).items():
        own = spec.get("proxy") if isinstance(spec, dict) else None
        if own is False or (own is None and name != primary):
            continue
        merged = {**top, **own} if isinstance(own, dict) else top
        if merged.get("ssl") and role_host_items(spec):
            for host in _proxy_hosts(merged):
                owners.setdefault(host, []).append(name)
    shared = sorted(host for host, roles in owners.items() if len(roles) > 1)
    if not shared:
        return []
    return [
        Problem(
            ("servers",), f"different roles can't share a host name for SSL: {', '.join(shared)}"
        )
    ]


def _proxy_run(run: Any) -> list[Problem]:
    if not isinstance(run, dict) or run.get("publish") is not False:
        return []
    set_keys = [k for k in ("http_port", "https_port", "bind_ips") if run.get(k) not in (None, [])]
    if not set_keys:
        return []
    return [
        Problem(
            ("proxy", "run", "publish"), f"cannot set {', '.join(set_keys)} when publish is false"
        )
    ]


def _registry(data: dict[str, Any]) -> list[Problem]:
    places = [(("registry",), data.get("registry"))] + [
        (("accessories", str(name), "registry"), spec.get("registry"))
        for name, spec in (data.get("accessories") or {}).items()
        if isinstance(spec, dict)
    ]
    problems = []
    for path, registry in places:
        for key in ("username", "password"):
            value = registry.get(key) if isinstance(registry, dict) else None
            if isinstance(value, list) and len(value) != 1:
                problems.append(
                    Problem((*path, key), "should be a string or a list of one secret name")
                )
    return problems
