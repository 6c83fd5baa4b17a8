"""Shared-proxy safety: before a deploy touches a host, no other route may claim our host + path."""

from __future__ import annotations

from kamalpy.commands import error_pages, proxy, proxy_certs, proxy_claims
from kamalpy.config.model import Configuration
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.errors import UsageError


def our_claims(config: Configuration, host: str) -> dict[str, frozenset[proxy_claims.Claim]]:
    """Route name -> claims of every proxied role of this service on `host`."""
    return {
        proxy.config_name(config.service, role.name, config.destination): proxy_claims.claims_of(
            role.proxy.hosts, role.proxy.path_prefixes
        )
        for role in config.roles
        if role.proxy is not None and host in role.hosts
    }


def has_files(config: Configuration) -> bool:
    """True when the service's routes need files on the hosts: certificates or error pages."""
    return bool(config.error_pages) or any(
        r.proxy is not None and r.proxy.ssl and r.proxy.ssl_certificate is not None
        for r in config.roles
    )


def upload_certificates(ctx: Context, host: str) -> None:
    """This service's custom certificates on `host`, 0600, before a route points at them."""
    config = ctx.config
    for role in config.roles:
        cert = role.proxy.ssl_certificate if role.proxy and role.proxy.ssl else None
        if cert is None or host not in role.hosts:
            continue
        name = proxy.config_name(config.service, role.name, config.destination)
        files = proxy_certs.cert_files(name)
        for path, secret in ((files.host_cert, cert.certificate_pem),
                             (files.host_key, cert.private_key_pem)):  # fmt: skip
            value = ctx.secrets.get(secret)
            if value is None:
                raise UsageError(f"role {role.name} proxy.ssl: secret {secret} was not resolved")
            ctx.executor.upload(ctx.target(host), path, value.reveal().encode(), mode="600")


def upload_error_pages(ctx: Context, host: str) -> None:
    """The service's error pages on `host`, and the page server where it is not running."""
    config = ctx.config
    if not config.error_pages or host not in config.proxy_hosts:
        return
    for name, page in config.error_pages:
        path = error_pages.page_path(config.service, config.destination, name)
        ctx.executor.upload(ctx.target(host), path, page.encode(), mode="644")
    state = hostops.run(ctx, host, error_pages.server_running_argv(), check=False)
    if state.ok and state.stdout.strip() == "running":
        return
    hostops.run(ctx, host, error_pages.server_remove_argv(), check=False)
    image = config.extras.error_pages_image or error_pages.DEFAULT_IMAGE
    hostops.run(ctx, host, error_pages.server_run_argv(image))


def check_claims(ctx: Context, host: str) -> None:
    """Read the host's route files; UsageError naming both routes when one claims ours."""
    ours = our_claims(ctx.config, host)
    if not ours or ctx.dry_run:
        if ours:
            hostops.run(ctx, host, proxy_claims.read_routes_argv(), check=False)
        return
    out = hostops.run(ctx, host, proxy_claims.read_routes_argv(), check=False).stdout
    found = proxy_claims.conflicts(ours, proxy_claims.parse_routes(out))
    if found:
        lines = "\n".join(f"  {c.describe()}" for c in found)
        raise UsageError(
            f"{host}: the proxy already routes what this deploy claims; nothing was changed:\n"
            f"{lines}",
            hint="give one of them another proxy.host or path_prefix, or remove the other "
            f"service first (its route file is in ~/{proxy.DYNAMIC_DIR}/ on {host})",
        )
