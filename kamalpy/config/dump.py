"""A Configuration written back as a deploy.yml mapping (canonical forms, defaults explicit).

Loading the dump gives an equal Configuration. Used by tests and tooling; note that a literal
registry password written in the original file is written back as it was.
"""

from __future__ import annotations

import shlex
from typing import Any

from kamalpy.config.model import (
    Accessory,
    AccessoryFile,
    Builder,
    Configuration,
    Credential,
    Env,
    Logging,
    Proxy,
    ProxyRun,
    Registry,
    Role,
)


def dump_config(config: Configuration) -> dict[str, Any]:
    """The deploy.yml document (a plain mapping) that describes `config`."""
    data: dict[str, Any] = {
        "service": config.service,
        "image": config.image,
        "primary_role": config.primary_role,
        "servers": {role.name: _role(role) for role in config.roles},
        "registry": _registry(config.registry),
        "builder": _builder(config.builder),
        "env": _env(config.env),
        "volumes": list(config.volumes),
        "labels": dict(config.labels),
        "logging": _logging(config.logging),
        "ssh": _ssh(config),
        "sshkit": {
            "max_concurrent_starts": config.sshkit.max_concurrent_starts,
            "pool_idle_timeout": config.sshkit.pool_idle_timeout,
            "dns_retries": config.sshkit.dns_retries,
        },
        "boot": _boot(config),
        "aliases": dict(config.aliases),
        "x-kamalpy": {
            "inputs": list(config.extras.inputs),
            "exclude": list(config.extras.exclude),
            "depends_on": list(config.extras.depends_on),
            "local_hosts": list(config.extras.local_hosts),
            "proxy_api_port": config.extras.proxy_api_port,
            "parallel_hosts": config.extras.parallel_hosts,
            "acme_ca_server": config.extras.acme_ca_server,
            "acme_email": config.extras.acme_email,
            "acme_ca_certificates": config.extras.acme_ca_certificates,
            "error_pages_image": config.extras.error_pages_image,
        },
    }
    if config.proxy:
        roles = [_proxy(role.proxy) for role in config.roles if role.proxy]
        top = _shared_settings(_proxy(config.proxy), roles)
        data["proxy"] = {**top, "run": _proxy_run(config.proxy.run)}
    if config.accessories:
        data["accessories"] = {acc.name: _accessory(acc) for acc in config.accessories}
    data.update(_scalars(config))
    return {key: value for key, value in data.items() if value is not None}


def _shared_settings(top: dict[str, Any], roles: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-level proxy leaves that no role overrides (Kamal lets top-level values win)."""
    shared: dict[str, Any] = {}
    for key, value in top.items():
        if isinstance(value, dict):
            leaves = {
                sub: leaf
                for sub, leaf in value.items()
                if all(_leaf(role, key, sub) == leaf for role in roles)
            }
            if leaves:
                shared[key] = leaves
        elif all(role.get(key) == value for role in roles):
            shared[key] = value
    return shared


def _leaf(settings: dict[str, Any], key: str, sub: str) -> Any:
    value = settings.get(key)
    return value.get(sub) if isinstance(value, dict) else None


def _scalars(config: Configuration) -> dict[str, Any]:
    hooks = config.hooks_output
    return {
        "retain_containers": config.retain_containers,
        "readiness_delay": config.readiness_delay,
        "deploy_timeout": config.deploy_timeout,
        "drain_timeout": config.drain_timeout,
        "hooks_path": config.hooks_path,
        "hooks_output": hooks if hooks is None or isinstance(hooks, str) else dict(hooks),
        "secrets_path": config.secrets_path,
        "run_directory": config.run_directory,
        "asset_path": config.asset_path,
        "error_pages_path": config.error_pages_path,
        "minimum_version": config.minimum_version,
        "require_destination": config.require_destination,
        "allow_empty_roles": config.allow_empty_roles,
    }


def _role(role: Role) -> dict[str, Any]:
    hosts = [
        {host: list(role.host_tags[host])} if role.host_tags.get(host) else host
        for host in role.hosts
    ]
    data: dict[str, Any] = {
        "hosts": hosts,
        "options": _options(role.options),
        "labels": dict(role.labels),
        # Tags live in the root env only (Kamal's rule); the role's env already holds them merged.
        "env": _env(role.env, tags=False),
        "logging": _logging(role.logging),
        "asset_path": role.asset_path,
    }
    if role.cmd:
        data["cmd"] = shlex.join(role.cmd)
    if role.proxy:
        data["proxy"] = _proxy(role.proxy)
    elif role.primary:
        data["proxy"] = False
    return {key: value for key, value in data.items() if value is not None}


def _options(argv: tuple[str, ...]) -> dict[str, Any]:
    """Back from `--k v` / bare `--k` tokens to an options mapping (lists for repeats)."""
    options: dict[str, Any] = {}
    index = 0
    while index < len(argv):
        key = argv[index][2:]
        has_value = index + 1 < len(argv) and not argv[index + 1].startswith("--")
        value: Any = argv[index + 1] if has_value else True
        index += 2 if has_value else 1
        if key in options:
            previous = options[key]
            options[key] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            options[key] = value
    return options


def _env(env: Env, *, tags: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"clear": dict(env.clear), "secret": [ref.spec for ref in env.secrets]}
    if tags:
        data["tags"] = {tag: _env(tag_env) for tag, tag_env in env.tags.items()}
    return data


def _logging(logging: Logging) -> dict[str, Any]:
    data: dict[str, Any] = {"options": dict(logging.options)}
    if logging.driver:
        data["driver"] = logging.driver
    return data


def _credential(credential: Credential | None) -> Any:
    if credential is None:
        return None
    if credential.secret:
        return [credential.secret]
    return credential.literal.reveal() if credential.literal else None


def _registry(registry: Registry) -> dict[str, Any]:
    data = {
        "server": registry.server,
        "username": _credential(registry.username),
        "password": _credential(registry.password),
    }
    return {key: value for key, value in data.items() if value is not None}


def proxy_routing(proxy: Proxy) -> dict[str, Any]:
    """The proxy keys that route and health-check traffic, shared by the dump and the summary."""
    return {
        "ssl_redirect": proxy.ssl_redirect,
        "forward_headers": proxy.forward_headers,
        "response_timeout": proxy.response_timeout,
        "path_prefixes": list(proxy.path_prefixes),
        "strip_path_prefix": proxy.strip_path_prefix,
        "healthcheck": {
            "path": proxy.healthcheck.path,
            "interval": proxy.healthcheck.interval,
            "timeout": proxy.healthcheck.timeout,
        },
    }


def _proxy(proxy: Proxy) -> dict[str, Any]:
    cert = proxy.ssl_certificate
    data: dict[str, Any] = {
        "hosts": list(proxy.hosts),
        "app_port": proxy.app_port,
        "ssl": {"certificate_pem": cert.certificate_pem, "private_key_pem": cert.private_key_pem}
        if cert
        else proxy.ssl,
        **proxy_routing(proxy),
        "buffering": {
            "requests": proxy.buffering.requests,
            "responses": proxy.buffering.responses,
            "max_request_body": proxy.buffering.max_request_body,
            "max_response_body": proxy.buffering.max_response_body,
            "memory": proxy.buffering.memory,
        },
        "logging": {
            "request_headers": list(proxy.logging.request_headers),
            "response_headers": list(proxy.logging.response_headers),
        },
    }
    return {key: value for key, value in data.items() if value is not None}


def _proxy_run(run: ProxyRun) -> dict[str, Any]:
    data: dict[str, Any] = {
        "http_port": run.http_port,
        "https_port": run.https_port,
        "metrics_port": run.metrics_port,
        "debug": run.debug,
        "log_max_size": run.log_max_size,
        "publish": run.publish,
        "bind_ips": list(run.bind_ips),
        "registry": run.registry,
        "repository": run.repository,
        "version": run.version,
        "options": _options(run.options),
    }
    return {key: value for key, value in data.items() if value is not None}


def _builder(builder: Builder) -> dict[str, Any]:
    cache, pack = builder.cache, builder.pack
    data: dict[str, Any] = {
        "arch": list(builder.arch),
        "remote": builder.remote,
        "local": builder.local,
        "driver": builder.driver,
        "cache": {"type": cache.type, "options": cache.options, "image": cache.image}
        if cache
        else None,
        "context": builder.context,
        "dockerfile": builder.dockerfile,
        "target": builder.target,
        "args": dict(builder.args),
        "secrets": list(builder.secrets),
        "ssh": builder.ssh,
        "provenance": builder.provenance,
        "sbom": builder.sbom,
        "pack": {"builder": pack.builder, "buildpacks": list(pack.buildpacks)} if pack else None,
    }
    if data["cache"]:
        data["cache"] = {k: v for k, v in data["cache"].items() if v is not None}
    return {key: value for key, value in data.items() if value is not None}


def _ssh(config: Configuration) -> dict[str, Any]:
    ssh = config.ssh
    data: dict[str, Any] = {
        "user": ssh.user,
        "port": ssh.port,
        "proxy": ssh.proxy,
        "proxy_command": ssh.proxy_command,
        "keys": list(ssh.keys),
        "key_data": list(ssh.key_data),
        "keys_only": ssh.keys_only,
        "config": ssh.config if isinstance(ssh.config, bool) else list(ssh.config),
        "log_level": ssh.log_level,
    }
    return {key: value for key, value in data.items() if value is not None}


def _boot(config: Configuration) -> dict[str, Any]:
    boot = config.boot
    data = {"limit": boot.limit, "wait": boot.wait, "parallel_roles": boot.parallel_roles}
    return {key: value for key, value in data.items() if value is not None}


def _mount(mount: AccessoryFile) -> dict[str, Any]:
    data = {
        "local": mount.local,
        "remote": mount.remote,
        "mode": mount.mode,
        "owner": mount.owner,
        "options": mount.options,
    }
    return {key: value for key, value in data.items() if value is not None}


def _accessory(acc: Accessory) -> dict[str, Any]:
    data: dict[str, Any] = {
        "service": acc.service,
        "image": acc.image,
        "hosts": list(acc.hosts),
        "port": acc.port,
        "cmd": shlex.join(acc.cmd) if acc.cmd else None,
        "options": _options(acc.options),
        "labels": dict(acc.labels),
        "env": _env(acc.env, tags=False),
        "files": [_mount(f) for f in acc.files],
        "directories": [_mount(d) for d in acc.directories],
        "volumes": list(acc.volumes),
        "network": acc.network,
        "registry": _registry(acc.registry) if acc.registry else None,
        "proxy": _proxy(acc.proxy) if acc.proxy else None,
    }
    return {key: value for key, value in data.items() if value is not None}
