"""The resolved configuration as plain data for `kamalpy config` (secrets redacted).

Keys shared with `kamal config` keep Kamal's names (without Ruby's colons) and values;
argv-valued fields are plain tokens with no shell quoting.
"""

from __future__ import annotations

from typing import Any

from kamalpy.config.dump import proxy_routing
from kamalpy.config.model import Accessory, Configuration, Credential, Env, Proxy


def summarize(config: Configuration) -> dict[str, Any]:
    """Everything `kamalpy config` prints, in a stable order."""
    data: dict[str, Any] = {
        "roles": list(config.role_names),
        "hosts": list(config.all_hosts),
        "primary_host": config.primary_host,
        "version": config.version,
        "repository": config.repository,
        "absolute_image": config.absolute_image,
        "service_with_version": config.service_with_version,
        "volume_args": list(config.volume_args),
        "ssh_options": _ssh(config),
        "sshkit": _sshkit(config),
        "builder": _builder(config),
    }
    if config.accessories:
        data["accessories"] = {acc.name: _accessory(acc) for acc in config.accessories}
    data["logging"] = list(config.logging.args)
    data.update(_kamalpy_additions(config))
    return data


def _kamalpy_additions(config: Configuration) -> dict[str, Any]:
    return {
        "service": config.service,
        "image": config.image,
        "destination": config.destination,
        "primary_role": config.primary_role,
        "env": {role.name: _env(role.env) for role in config.roles},
        "proxy": {role.name: _proxy(role.proxy) for role in config.roles if role.proxy},
        "registry": {
            "server": config.registry.server,
            "username": _credential(config.registry.username),
            "password": _credential(config.registry.password),
        },
    }


def _credential(credential: Credential | None) -> str | None:
    return credential.describe() if credential else None


def _env(env: Env) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clear": sorted(env.clear),
        "secret": [ref.spec for ref in env.secrets],
    }
    if env.tags:
        data["tags"] = {tag: _env(tag_env) for tag, tag_env in env.tags.items()}
    return data


def _proxy(proxy: Proxy) -> dict[str, Any]:
    cert = proxy.ssl_certificate
    return {
        "hosts": list(proxy.hosts),
        "app_port": proxy.app_port,
        "ssl": proxy.ssl,
        "ssl_certificate": {
            "certificate_pem": f"secret:{cert.certificate_pem}",
            "private_key_pem": f"secret:{cert.private_key_pem}",
        }
        if cert
        else None,
        **proxy_routing(proxy),
    }


def _ssh(config: Configuration) -> dict[str, Any]:
    ssh = config.ssh
    data: dict[str, Any] = {"user": ssh.user, "port": ssh.port}
    optional = {
        "proxy": ssh.proxy,
        "proxy_command": ssh.proxy_command,
        "keys": list(ssh.keys) or None,
        "key_data": [f"secret:{k}" for k in ssh.key_data] or None,
        "keys_only": ssh.keys_only,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    data["config"] = ssh.config if isinstance(ssh.config, bool) else list(ssh.config)
    data.update({"keepalive": True, "keepalive_interval": 30, "log_level": ssh.log_level})
    return data


def _sshkit(config: Configuration) -> dict[str, Any]:
    kit = config.sshkit
    return {
        "max_concurrent_starts": kit.max_concurrent_starts,
        "pool_idle_timeout": kit.pool_idle_timeout,
        "dns_retries": kit.dns_retries,
    }


def _builder(config: Configuration) -> dict[str, Any]:
    b = config.builder
    data: dict[str, Any] = {
        "arch": list(b.arch),
        "remote": b.remote,
        "local": b.local,
        "driver": b.driver,
        "cache": {"type": b.cache.type, "options": b.cache.options, "image": b.cache.image}
        if b.cache
        else None,
        "context": b.context,
        "dockerfile": b.dockerfile,
        "target": b.target,
        "args": dict(b.args) or None,
        "secrets": list(b.secrets) or None,
        "ssh": b.ssh,
        "provenance": b.provenance,
        "sbom": b.sbom,
        "pack": {"builder": b.pack.builder, "buildpacks": list(b.pack.buildpacks)}
        if b.pack
        else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def _accessory(acc: Accessory) -> dict[str, Any]:
    data: dict[str, Any] = {
        "service": acc.service,
        "image": acc.image,
        "hosts": list(acc.hosts),
        "port": acc.port,
        "cmd": list(acc.cmd) or None,
        "options": list(acc.options) or None,
        "labels": dict(acc.labels) or None,
        "env": _env(acc.env),
        "files": [f"{f.local}:{f.remote}" for f in acc.files] or None,
        "directories": [f"{d.local}:{d.remote}" for d in acc.directories] or None,
        "volumes": list(acc.volumes) or None,
        "network": acc.network,
    }
    if acc.registry:
        data["registry"] = {
            "server": acc.registry.server,
            "username": _credential(acc.registry.username),
            "password": _credential(acc.registry.password),
        }
    return {k: v for k, v in data.items() if v is not None}
