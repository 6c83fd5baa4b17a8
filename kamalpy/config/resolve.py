"""Build the Configuration from a validated, merged document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kamalpy.config.error_pages import read_error_pages
from kamalpy.config.model import (
    Accessory,
    Boot,
    Configuration,
    KamalpyExtras,
    Role,
    Ssh,
    Sshkit,
    frozen_map,
)
from kamalpy.config.resolve_parts import (
    command_args,
    opt_text,
    option_args,
    resolve_builder,
    resolve_env,
    resolve_logging,
    resolve_mounts,
    resolve_proxy,
    resolve_registry,
    str_map,
    text,
    texts,
)
from kamalpy.config.rules import role_host_items, role_specs
from kamalpy.config.yamlmarks import deep_merge
from kamalpy.errors import ConfigError, Location


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the configuration came from and which deploy it is for."""

    path: Path
    root: Path
    destination: str | None
    version: str


def build_configuration(data: dict[str, Any], origin: Origin) -> Configuration:
    """The frozen Configuration of a document that passed validation and rules."""
    roles = _resolve_roles(data)
    return Configuration(
        path=origin.path,
        root=origin.root,
        service=text(data["service"]),
        image=text(data["image"]),
        version=origin.version,
        destination=origin.destination,
        primary_role=text(data.get("primary_role") or "web"),
        roles=roles,
        registry=resolve_registry(data.get("registry")),
        builder=resolve_builder(data.get("builder")),
        env=resolve_env(data.get("env")),
        volumes=texts(data.get("volumes")),
        labels=str_map(data.get("labels")),
        logging=resolve_logging(data.get("logging")),
        ssh=_resolve_ssh(data.get("ssh") or {}),
        sshkit=_resolve_sshkit(data.get("sshkit") or {}),
        boot=_resolve_boot(data.get("boot") or {}),
        proxy=resolve_proxy(data["proxy"], data["proxy"].get("run")) if data.get("proxy") else None,
        accessories=_resolve_accessories(data, roles),
        aliases=str_map(data.get("aliases")),
        extras=_resolve_extras(data.get("x-kamalpy") or {}, origin.root),
        error_pages=read_error_pages(
            origin.path, origin.root, opt_text(data.get("error_pages_path"))
        ),
        **_scalars(data),
    )


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    hooks_output = data.get("hooks_output")
    return {
        "retain_containers": int(data.get("retain_containers", 5)),
        "readiness_delay": int(data.get("readiness_delay", 7)),
        "deploy_timeout": int(data.get("deploy_timeout", 30)),
        "drain_timeout": int(data.get("drain_timeout", 30)),
        "hooks_path": text(data.get("hooks_path") or ".kamal/hooks"),
        "hooks_output": str_map(hooks_output)
        if isinstance(hooks_output, dict)
        else opt_text(hooks_output),
        "secrets_path": text(data.get("secrets_path") or ".kamal/secrets"),
        "run_directory": text(data.get("run_directory") or ".kamal"),
        "asset_path": opt_text(data.get("asset_path")),
        "error_pages_path": opt_text(data.get("error_pages_path")),
        "minimum_version": opt_text(data.get("minimum_version")),
        "require_destination": bool(data.get("require_destination", False)),
        "allow_empty_roles": bool(data.get("allow_empty_roles", False)),
    }


def _host_tags(items: list[Any]) -> dict[str, tuple[str, ...]]:
    tagged: dict[str, tuple[str, ...]] = {}
    for item in items:
        if isinstance(item, dict):
            host, tags = next(iter(item.items()))
            tagged[text(host)] = texts(tags)
        else:
            tagged[text(item)] = ()
    return tagged


def _resolve_roles(data: dict[str, Any]) -> tuple[Role, ...]:
    primary = text(data.get("primary_role") or "web")
    top_env = resolve_env(data.get("env"))
    top_logging = resolve_logging(data.get("logging"))
    top_labels = data.get("labels") or {}
    top_proxy = data.get("proxy") or {}
    roles = []
    for name, spec in role_specs(data).items():
        own = spec if isinstance(spec, dict) else {}
        tagged = _host_tags(role_host_items(spec))
        proxy_spec = own.get("proxy")
        proxied = proxy_spec is not False if name == primary else bool(proxy_spec)
        # As in Kamal, the top-level proxy settings win; a role's own keys fill the gaps.
        proxy_raw = deep_merge(proxy_spec if isinstance(proxy_spec, dict) else {}, top_proxy)
        roles.append(
            Role(
                name=name,
                hosts=tuple(tagged),
                host_tags=frozen_map(tagged),
                cmd=command_args(own.get("cmd")),
                options=option_args(own.get("options")),
                labels=str_map({**top_labels, **(own.get("labels") or {})}),
                env=top_env.merge(resolve_env(own.get("env"))),
                logging=top_logging.merge(resolve_logging(own.get("logging"))),
                proxy=resolve_proxy(proxy_raw, top_proxy.get("run")) if proxied else None,
                primary=name == primary,
                asset_path=opt_text(own.get("asset_path") or data.get("asset_path")),
            )
        )
    return tuple(roles)


def _resolve_ssh(raw: dict[str, Any]) -> Ssh:
    config = raw.get("config", True)
    return Ssh(
        user=text(raw.get("user") or "root"),
        port=int(raw.get("port") or 22),
        proxy=opt_text(raw.get("proxy")),
        proxy_command=opt_text(raw.get("proxy_command")),
        keys=texts(raw.get("keys")),
        key_data=texts(raw.get("key_data")),
        keys_only=raw.get("keys_only"),
        config=config if isinstance(config, bool) else texts(config),
        log_level=text(raw.get("log_level") or "fatal"),
    )


def _resolve_sshkit(raw: dict[str, Any]) -> Sshkit:
    return Sshkit(
        max_concurrent_starts=int(raw.get("max_concurrent_starts", 30)),
        pool_idle_timeout=int(raw.get("pool_idle_timeout", 900)),
        dns_retries=int(raw.get("dns_retries", 3)),
    )


def _resolve_boot(raw: dict[str, Any]) -> Boot:
    limit = raw.get("limit")
    if isinstance(limit, str) and not limit.strip().endswith("%"):
        limit = int(limit)
    wait = raw.get("wait")
    return Boot(
        limit=limit,
        wait=None if wait is None else int(wait),
        parallel_roles=bool(raw.get("parallel_roles", False)),
    )


def _accessory_hosts(raw: dict[str, Any], roles: tuple[Role, ...]) -> tuple[str, ...]:
    if raw.get("host") or raw.get("hosts"):
        return texts(raw.get("hosts") or raw.get("host"))
    wanted_roles = set(texts(raw.get("roles") or raw.get("role")))
    wanted_tags = set(texts(raw.get("tags") or raw.get("tag")))
    hosts = [h for r in roles if r.name in wanted_roles for h in r.hosts]
    hosts += [h for r in roles for h in r.hosts if wanted_tags & set(r.host_tags[h])]
    return tuple(dict.fromkeys(hosts))


def _resolve_accessories(data: dict[str, Any], roles: tuple[Role, ...]) -> tuple[Accessory, ...]:
    service = text(data["service"])
    result = []
    for name, raw in (data.get("accessories") or {}).items():
        result.append(
            Accessory(
                name=text(name),
                service=text(raw.get("service") or f"{service}-{name}"),
                image=text(raw["image"]),
                hosts=_accessory_hosts(raw, roles),
                port=opt_text(raw.get("port")),
                cmd=command_args(raw.get("cmd")),
                options=option_args(raw.get("options")),
                labels=str_map(raw.get("labels")),
                env=resolve_env(raw.get("env")),
                files=resolve_mounts(raw.get("files")),
                directories=resolve_mounts(raw.get("directories")),
                volumes=texts(raw.get("volumes")),
                network=text(raw.get("network") or "kamal"),
                registry=resolve_registry(raw["registry"]) if raw.get("registry") else None,
                proxy=resolve_proxy(raw["proxy"]) if raw.get("proxy") else None,
            )
        )
    return tuple(result)


def _read_pem(root: Path, path: str | None) -> str | None:
    """The ACME CA bundle's text: kamalpy uploads it next to the proxy's certificates."""
    if path is None:
        return None
    try:
        return (root / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        where = Location("x-kamalpy/acme_ca_certificates")
        raise ConfigError([(where, f"cannot read {root / path}: {error}")]) from None


def _resolve_extras(raw: dict[str, Any], root: Path) -> KamalpyExtras:
    api_port = raw.get("proxy_api_port")
    return KamalpyExtras(
        inputs=texts(raw.get("inputs")),
        exclude=texts(raw.get("exclude")),
        depends_on=texts(raw.get("depends_on")),
        local_hosts=texts(raw.get("local_hosts")),
        proxy_api_port=int(api_port) if api_port is not None else None,
        parallel_hosts=int(raw.get("parallel_hosts", 100)),
        command_timeouts=frozen_map(
            {str(k): int(v) for k, v in (raw.get("command_timeouts") or {}).items()}
        ),
        acme_ca_server=opt_text(raw.get("acme_ca_server")),
        acme_email=opt_text(raw.get("acme_email")),
        acme_ca_certificates=opt_text(raw.get("acme_ca_certificates")),
        acme_ca_pem=_read_pem(root, opt_text(raw.get("acme_ca_certificates"))),
        error_pages_image=opt_text(raw.get("error_pages_image")),
    )
