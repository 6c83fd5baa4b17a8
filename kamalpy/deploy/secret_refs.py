"""Which secrets a configuration references, and where: resolved once, before any host is touched.

Names only: the configuration layer never holds a value. The CLI resolves these names through
the encrypted store (then the environment) and passes the values down in the flow's Context.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kamalpy.config.model import Configuration, Credential, Env


@dataclass(frozen=True)
class SecretUse:
    """One reference to a secret: its name and the config key that uses it."""

    name: str
    where: str


def _env_uses(env: Env, where: str) -> Iterator[SecretUse]:
    for ref in env.secrets:
        alias = f"{ref.name}:{ref.secret}" if ref.name != ref.secret else ref.name
        yield SecretUse(ref.secret, f"{where} env.secret {alias}")
    for tag, tagged in sorted(env.tags.items()):
        yield from _env_uses(tagged, f"{where} env.tags.{tag}")


def _credential_uses(credential: Credential | None, where: str) -> Iterator[SecretUse]:
    if credential is not None and credential.secret:
        yield SecretUse(credential.secret, where)


def env_uses(config: Configuration) -> tuple[SecretUse, ...]:
    """Secrets the app containers' env files need (every role, base env and host tags)."""
    return tuple(use for role in config.roles for use in _env_uses(role.env, f"role {role.name}"))


def image_uses(config: Configuration) -> tuple[SecretUse, ...]:
    """Secrets building and pushing the image needs: builder secrets, registry credentials."""
    uses = [SecretUse(name, "builder.secrets") for name in config.builder.secrets]
    registry = config.registry
    uses += _credential_uses(registry.username, "registry.username")
    uses += _credential_uses(registry.password, "registry.password")
    return tuple(uses)


def other_uses(config: Configuration) -> tuple[SecretUse, ...]:
    """Accessories' env and registry, ssh.key_data and custom proxy certificates."""
    uses: list[SecretUse] = []
    for acc in config.accessories:
        uses += _env_uses(acc.env, f"accessory {acc.name}")
        if acc.registry is not None:
            uses += _credential_uses(acc.registry.username, f"accessory {acc.name} registry")
            uses += _credential_uses(acc.registry.password, f"accessory {acc.name} registry")
    uses += key_data_uses(config)
    for role in config.roles:
        cert = role.proxy.ssl_certificate if role.proxy else None
        if cert is not None:
            where = f"role {role.name} proxy.ssl"
            uses += [SecretUse(cert.certificate_pem, where), SecretUse(cert.private_key_pem, where)]
    return tuple(uses)


def accessory_uses(config: Configuration) -> tuple[SecretUse, ...]:
    """What booting accessories needs: their env and registries (the app's when it holds one)."""
    uses: list[SecretUse] = []
    for acc in config.accessories:
        uses += _env_uses(acc.env, f"accessory {acc.name}")
        own = acc.registry
        if own is not None:
            uses += _credential_uses(own.username, f"accessory {acc.name} registry")
            uses += _credential_uses(own.password, f"accessory {acc.name} registry")
        elif config.registry.server and acc.image.startswith(f"{config.registry.server}/"):
            uses += _credential_uses(config.registry.username, "registry.username")
            uses += _credential_uses(config.registry.password, "registry.password")
    return tuple(uses)


def key_data_uses(config: Configuration) -> list[SecretUse]:
    """ssh.key_data: private keys every command reaching a host needs."""
    return [SecretUse(name, "ssh.key_data") for name in config.ssh.key_data]


def all_uses(config: Configuration) -> tuple[SecretUse, ...]:
    """Every secret reference in the configuration, in a stable order."""
    return (*env_uses(config), *image_uses(config), *other_uses(config))


def names_of(uses: tuple[SecretUse, ...]) -> tuple[str, ...]:
    """The distinct secret names, in order of first use."""
    return tuple(dict.fromkeys(use.name for use in uses))


def where_used(uses: tuple[SecretUse, ...], name: str) -> str:
    """The config keys that use `name`, for error messages."""
    return ", ".join(dict.fromkeys(use.where for use in uses if use.name == name))
