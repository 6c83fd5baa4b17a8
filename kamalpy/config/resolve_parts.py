"""Turn validated raw sections into model objects, applying Kamal's defaults."""

from __future__ import annotations

import shlex
from typing import Any

from kamalpy.config.model import (
    AccessoryFile,
    Buffering,
    Builder,
    BuilderCache,
    Credential,
    Env,
    Healthcheck,
    Logging,
    Pack,
    Proxy,
    ProxyLogging,
    ProxyRun,
    Registry,
    SecretRef,
    SslCertificate,
    frozen_map,
)
from kamalpy.sensitive import Sensitive

_ENV_SECTIONS = ("clear", "secret", "tags")


def text(value: Any) -> str:
    """A YAML scalar as the text Kamal would use (Ruby's to_s for booleans)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def opt_text(value: Any) -> str | None:
    """`text(value)`, or None for an absent value; `false` too (Kamal tests these with `||`)."""
    return None if value is None or value is False else text(value)


def text_or(value: Any, default: str) -> str:
    """`value || default` as Ruby reads it: nil and false take the default."""
    return default if value is None or value is False else text(value)


def texts(value: Any) -> tuple[str, ...]:
    """A string or list of strings as a tuple of strings."""
    if value is None:
        return ()
    return tuple(text(v) for v in (value if isinstance(value, list) else [value]))


def str_map(value: Any) -> Any:
    """A mapping with every key and value as text (read-only)."""
    return frozen_map((text(k), text(v)) for k, v in (value or {}).items() if v is not None)


def option_args(options: Any) -> tuple[str, ...]:
    """`docker run` options as argv: `--k v`, bare `--k` for true, repeated for a list."""
    argv: list[str] = []
    for key, value in (options or {}).items():
        for item in value if isinstance(value, list) else [value]:
            argv += [f"--{key}"] if item is True else [f"--{key}", text(item)]
    return tuple(argv)


def command_args(cmd: Any) -> tuple[str, ...]:
    """A command string split into argv the way a shell would (no expansion)."""
    return tuple(shlex.split(text(cmd))) if cmd is not None else ()


def resolve_env(raw: Any) -> Env:
    """Plain `NAME: value` mapping or the clear/secret/tags form."""
    raw = raw or {}
    if not any(key in raw for key in _ENV_SECTIONS):
        return Env(clear=str_map(raw))
    secrets = []
    for spec in raw.get("secret") or []:
        name, _, secret = text(spec).partition(":")
        secrets.append(SecretRef(name, secret or name))
    tags = frozen_map((text(tag), resolve_env(env)) for tag, env in (raw.get("tags") or {}).items())
    return Env(clear=str_map(raw.get("clear")), secrets=tuple(secrets), tags=tags)


def resolve_logging(raw: Any) -> Logging:
    """Logging as configured (defaults are applied when argv is built)."""
    raw = raw or {}
    return Logging(driver=opt_text(raw.get("driver")), options=str_map(raw.get("options")))


def _credential(value: Any) -> Credential | None:
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return Credential(secret=text(value[0]))
    return Credential(literal=Sensitive(text(value)))


def resolve_registry(raw: Any) -> Registry:
    """Registry server and credentials (secret names kept as names)."""
    raw = raw or {}
    return Registry(
        server=opt_text(raw.get("server")),
        username=_credential(raw.get("username")),
        password=_credential(raw.get("password")),
    )


def _split_list(single: Any, many: Any) -> tuple[str, ...]:
    if many is not None:
        return texts(many)
    return tuple(p.strip() for p in text(single).split(",") if p.strip()) if single else ()


def resolve_proxy(raw: dict[str, Any], run: Any = None) -> Proxy:
    """One role's (or accessory's) proxy settings with defaults filled in."""
    ssl = raw.get("ssl", False)
    cert = None
    if isinstance(ssl, dict):
        cert = SslCertificate(text(ssl["certificate_pem"]), text(ssl["private_key_pem"]))
    health = raw.get("healthcheck") or {}
    logging = raw.get("logging") or {}
    fwd = raw.get("forward_headers")
    return Proxy(
        hosts=_split_list(raw.get("host"), raw.get("hosts")),
        app_port=int(raw.get("app_port", 80)),
        ssl=bool(ssl),
        ssl_certificate=cert,
        ssl_redirect=bool(raw.get("ssl_redirect", True)),
        forward_headers=None if fwd is None else bool(fwd),
        response_timeout=int(raw.get("response_timeout", 30)),
        path_prefixes=_split_list(raw.get("path_prefix"), raw.get("path_prefixes")),
        strip_path_prefix=bool(raw.get("strip_path_prefix", True)),
        healthcheck=Healthcheck(
            path=text_or(health.get("path"), "/up"),
            interval=int(health.get("interval", 1)),
            timeout=int(health.get("timeout", 5)),
        ),
        buffering=_buffering(raw.get("buffering") or {}),
        logging=ProxyLogging(
            texts(logging.get("request_headers")), texts(logging.get("response_headers"))
        ),
        run=resolve_proxy_run(run),
    )


def _buffering(raw: dict[str, Any]) -> Buffering:
    defaults = Buffering()
    return Buffering(
        requests=bool(raw.get("requests", defaults.requests)),
        responses=bool(raw.get("responses", defaults.responses)),
        max_request_body=int(raw.get("max_request_body", defaults.max_request_body)),
        max_response_body=int(raw.get("max_response_body", defaults.max_response_body)),
        memory=int(raw.get("memory", defaults.memory)),
    )


def resolve_proxy_run(raw: Any) -> ProxyRun:
    """The proxy container's own settings (top-level proxy/run)."""
    raw = raw or {}
    metrics = raw.get("metrics_port")
    return ProxyRun(
        http_port=int(raw.get("http_port", 80)),
        https_port=int(raw.get("https_port", 443)),
        metrics_port=None if metrics is None else int(metrics),
        debug=bool(raw.get("debug", False)),
        log_max_size=text_or(raw.get("log_max_size"), "10m"),
        publish=bool(raw.get("publish", True)),
        bind_ips=texts(raw.get("bind_ips")),
        registry=opt_text(raw.get("registry")),
        repository=opt_text(raw.get("repository")),
        version=opt_text(raw.get("version")),
        options=option_args(raw.get("options")),
    )


def resolve_builder(raw: Any) -> Builder:
    """Build settings with Kamal's defaults."""
    raw = raw or {}
    cache = raw.get("cache")
    pack = raw.get("pack")
    return Builder(
        arch=texts(raw.get("arch")),
        remote=opt_text(raw.get("remote")),
        local=bool(raw.get("local", True)),
        driver=text_or(raw.get("driver"), "docker-container"),
        cache=BuilderCache(
            text(cache["type"]), opt_text(cache.get("options")), opt_text(cache.get("image"))
        )
        if cache
        else None,
        context=opt_text(raw.get("context")),
        dockerfile=text_or(raw.get("dockerfile"), "Dockerfile"),
        target=opt_text(raw.get("target")),
        args=str_map(raw.get("args")),
        secrets=texts(raw.get("secrets")),
        ssh=opt_text(raw.get("ssh")),
        provenance=raw.get("provenance")
        if isinstance(raw.get("provenance"), bool)
        else opt_text(raw.get("provenance")),
        sbom=raw.get("sbom") if isinstance(raw.get("sbom"), bool) else opt_text(raw.get("sbom")),
        pack=Pack(text(pack["builder"]), texts(pack.get("buildpacks"))) if pack else None,
    )


def resolve_mounts(raw: Any) -> tuple[AccessoryFile, ...]:
    """Accessory files/directories from `local:remote[:options]` strings or mappings."""
    mounts = []
    for item in raw or []:
        if isinstance(item, dict):
            mounts.append(
                AccessoryFile(
                    text(item["local"]),
                    text(item["remote"]),
                    opt_text(item.get("mode")),
                    opt_text(item.get("owner")),
                    opt_text(item.get("options")),
                )
            )
        else:
            local, _, rest = text(item).partition(":")
            remote, _, options = rest.partition(":")
            mounts.append(AccessoryFile(local, remote, options=options or None))
    return tuple(mounts)
