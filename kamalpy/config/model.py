"""The resolved, immutable configuration of one service: what every other layer reads.

`kamalpy.config.load_config(path, destination=..., environ=..., version=...)` returns a
`Configuration`. Everything in it is a frozen, slotted dataclass; sequences are tuples and
mappings are read-only (`types.MappingProxyType`), so values can be shared freely and compared
with `==` (they are not hashable: mappings are not).

Conventions that hold everywhere:

- Kamal's defaults are already applied: a missing key has its documented default value.
- argv-valued fields (`Role.options`, `Role.cmd`, `Logging.args`, `Configuration.volume_args`,
  `Accessory.options`) are plain argv tokens. Nothing is shell-quoted; quoting happens once, at
  the ssh edge.
- Secrets are referenced by NAME only (`SecretRef`, `Credential.secret`). The config layer never
  reads a secret value; the deploy layer resolves names through the secrets store. A literal
  credential written in deploy.yml is kept as `Sensitive`, so it never prints.
- Paths (hooks_path, builder.context, ...) are kept as written; relative ones are relative to
  `Configuration.root` (the directory holding `config/` in Kamal's layout, the service directory
  `services/<name>/` in a monorepo).
- `Location`s of every key are not kept here; the loader reports problems while loading.

Main entry points: `Configuration` (service, image, version, destination, roles, registry,
builder, env, volumes, labels, logging, ssh, sshkit, boot, proxy, accessories, aliases,
extras, the top-level scalars, and helpers such as `repository`, `absolute_image`,
`all_hosts`, `primary_host`, `role()`, `hosts_for_role()`, `container_name()`,
`role_labels()`), `Role` (hosts, host_tags, cmd, options, labels, env, logging, proxy).
Section classes live in `sections.py`, small value types in `values.py`; all are re-exported
here, so `from kamalpy.config.model import Proxy` works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kamalpy.config.sections import (
    Accessory,
    AccessoryFile,
    Boot,
    Buffering,
    Builder,
    BuilderCache,
    Credential,
    Healthcheck,
    KamalpyExtras,
    Pack,
    Proxy,
    ProxyLogging,
    ProxyRun,
    Registry,
    Ssh,
    Sshkit,
    SslCertificate,
)
from kamalpy.config.values import (
    Env,
    Logging,
    SecretRef,
    frozen_map,
)

__all__ = [
    "Accessory",
    "AccessoryFile",
    "Boot",
    "Buffering",
    "Builder",
    "BuilderCache",
    "Configuration",
    "Credential",
    "Env",
    "Healthcheck",
    "KamalpyExtras",
    "Logging",
    "Pack",
    "Proxy",
    "ProxyLogging",
    "ProxyRun",
    "Registry",
    "Role",
    "SecretRef",
    "Ssh",
    "Sshkit",
    "SslCertificate",
    "frozen_map",
]


@dataclass(frozen=True, slots=True)
class Role:
    """A group of servers running the same container command.

    `labels` are the custom labels (top-level merged with the role's); use
    `Configuration.role_labels` for the full set including service/role/destination.
    `env` is top-level env merged with the role's; `env_for_host` applies host tags.
    `proxy` is None when the role does not run behind the proxy.
    """

    name: str
    hosts: tuple[str, ...]
    host_tags: Mapping[str, tuple[str, ...]]
    cmd: tuple[str, ...]
    options: tuple[str, ...]
    labels: Mapping[str, str]
    env: Env
    logging: Logging
    proxy: Proxy | None
    primary: bool
    asset_path: str | None = None

    @property
    def runs_proxy(self) -> bool:
        """Whether this role's containers are routed by the proxy."""
        return self.proxy is not None

    @property
    def primary_host(self) -> str | None:
        """The role's first host."""
        return self.hosts[0] if self.hosts else None

    def env_for_host(self, host: str) -> Env:
        """The env a container on `host` gets (base + role + the host's tags)."""
        return self.env.for_tags(self.host_tags.get(host, ()))


@dataclass(frozen=True, slots=True)
class Configuration:
    """One service's resolved configuration for one destination and version."""

    path: Path
    root: Path
    service: str
    image: str
    version: str
    destination: str | None
    primary_role: str
    roles: tuple[Role, ...]
    registry: Registry
    builder: Builder
    env: Env
    volumes: tuple[str, ...]
    labels: Mapping[str, str]
    logging: Logging
    ssh: Ssh
    sshkit: Sshkit
    boot: Boot
    proxy: Proxy | None
    accessories: tuple[Accessory, ...]
    aliases: Mapping[str, str]
    extras: KamalpyExtras = field(default_factory=KamalpyExtras)
    retain_containers: int = 5
    readiness_delay: int = 7
    deploy_timeout: int = 30
    drain_timeout: int = 30
    hooks_path: str = ".kamal/hooks"
    hooks_output: str | Mapping[str, str] | None = None
    secrets_path: str = ".kamal/secrets"
    run_directory: str = ".kamal"
    asset_path: str | None = None
    error_pages_path: str | None = None
    # (file name, text) of each page in error_pages_path, read when the configuration is loaded
    error_pages: tuple[tuple[str, str], ...] = ()
    minimum_version: str | None = None
    require_destination: bool = False
    allow_empty_roles: bool = False

    @property
    def repository(self) -> str:
        """`[registry.server/]image`."""
        return f"{self.registry.server}/{self.image}" if self.registry.server else self.image

    @property
    def absolute_image(self) -> str:
        """`repository:version`, the image every container of this deploy runs."""
        return f"{self.repository}:{self.version}"

    @property
    def latest_tag(self) -> str:
        """`latest`, or `latest-<destination>`."""
        return f"latest-{self.destination}" if self.destination else "latest"

    @property
    def latest_image(self) -> str:
        """`repository:latest[-destination]`."""
        return f"{self.repository}:{self.latest_tag}"

    @property
    def service_with_version(self) -> str:
        """`service-version`."""
        return f"{self.service}-{self.version}"

    @property
    def service_and_destination(self) -> str:
        """`service[-destination]`: names locks, audit logs and env directories."""
        return f"{self.service}-{self.destination}" if self.destination else self.service

    @property
    def volume_args(self) -> tuple[str, ...]:
        """`--volume V` argv tokens for every top-level volume."""
        return tuple(tok for vol in self.volumes for tok in ("--volume", vol))

    @property
    def role_names(self) -> tuple[str, ...]:
        """Role names, sorted."""
        return tuple(role.name for role in self.roles)

    @property
    def all_hosts(self) -> tuple[str, ...]:
        """Hosts of every role then every accessory, each once, in order of appearance."""
        hosts = [h for role in self.roles for h in role.hosts]
        hosts += [h for acc in self.accessories for h in acc.hosts]
        return tuple(dict.fromkeys(hosts))

    @property
    def app_hosts(self) -> tuple[str, ...]:
        """Hosts of every role (no accessories), each once."""
        return tuple(dict.fromkeys(h for role in self.roles for h in role.hosts))

    @property
    def proxy_hosts(self) -> tuple[str, ...]:
        """Hosts where at least one role runs behind the proxy."""
        return tuple(dict.fromkeys(h for r in self.roles if r.runs_proxy for h in r.hosts))

    @property
    def primary_host(self) -> str | None:
        """The first host of the primary role (where locks and audit logs live)."""
        return self.role(self.primary_role).primary_host

    def role(self, name: str) -> Role:
        """The role called `name` (KeyError if absent)."""
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    def hosts_for_role(self, name: str) -> tuple[str, ...]:
        """Hosts of one role."""
        return self.role(name).hosts

    def accessory(self, name: str) -> Accessory:
        """The accessory called `name` (KeyError if absent)."""
        for acc in self.accessories:
            if acc.name == name:
                return acc
        raise KeyError(name)

    def container_prefix(self, role: Role | str) -> str:
        """`service-role[-destination]`: the part of a container name before the version."""
        name = role.name if isinstance(role, Role) else role
        parts = [self.service, name, *([self.destination] if self.destination else [])]
        return "-".join(parts)

    def container_name(self, role: Role | str, version: str | None = None) -> str:
        """`service-role[-destination]-version` (this deploy's version by default)."""
        return f"{self.container_prefix(role)}-{version or self.version}"

    def role_labels(self, role: Role | str) -> Mapping[str, str]:
        """Labels a role's containers carry: service, role, destination, then custom ones."""
        r = self.role(role) if isinstance(role, str) else role
        base = {"service": self.service, "role": r.name, "destination": self.destination or ""}
        return frozen_map({**base, **r.labels})
