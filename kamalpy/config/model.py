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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from kamalpy.sensitive import Sensitive

K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> Mapping[K, V]:
    """A read-only mapping that keeps insertion order."""
    return MappingProxyType(dict(items))


def _empty_map() -> Mapping[str, str]:
    return frozen_map()


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A secret env var: `name` in the container gets the value of secret `secret` (NAME:ALIAS)."""

    name: str
    secret: str

    @property
    def spec(self) -> str:
        """The form written in deploy.yml: `NAME` or `NAME:SECRET`."""
        return self.name if self.name == self.secret else f"{self.name}:{self.secret}"


@dataclass(frozen=True, slots=True)
class Env:
    """Environment variables: clear values, secret references, and per-host-tag overrides."""

    clear: Mapping[str, str] = field(default_factory=_empty_map)
    secrets: tuple[SecretRef, ...] = ()
    tags: Mapping[str, Env] = field(default_factory=frozen_map)

    def merge(self, other: Env) -> Env:
        """`other` over `self`: clear values override, secrets are added (by name), tags merge."""
        secrets = {ref.name: ref for ref in self.secrets}
        secrets.update({ref.name: ref for ref in other.secrets})
        tags = dict(self.tags)
        for tag, env in other.tags.items():
            tags[tag] = tags[tag].merge(env) if tag in tags else env
        clear = frozen_map({**self.clear, **other.clear})
        return Env(clear, tuple(secrets.values()), frozen_map(tags))

    def for_tags(self, host_tags: Iterable[str]) -> Env:
        """The env a host with these tags gets: base, then each tag's env in order; no tags left."""
        result = Env(self.clear, self.secrets)
        for tag in host_tags:
            if tag in self.tags:
                result = result.merge(self.tags[tag])
        return result

    @property
    def names(self) -> tuple[str, ...]:
        """Every variable name (clear and secret), sorted; no values."""
        return tuple(sorted({*self.clear, *(ref.name for ref in self.secrets)}))


@dataclass(frozen=True, slots=True)
class Logging:
    """Docker logging as configured: driver (None = docker's default) and options."""

    driver: str | None = None
    options: Mapping[str, str] = field(default_factory=_empty_map)

    def merge(self, other: Logging) -> Logging:
        """A role's logging over the top-level one: driver replaced if set, options merged."""
        return Logging(other.driver or self.driver, frozen_map({**self.options, **other.options}))

    @property
    def args(self) -> tuple[str, ...]:
        """`docker run` argv: `--log-driver D`, `--log-opt k=v`...; `max-size=10m` if unset."""
        if not self.driver and not self.options:
            return ("--log-opt", "max-size=10m")
        head = ("--log-driver", self.driver) if self.driver else ()
        opts = tuple(tok for k, v in self.options.items() for tok in ("--log-opt", f"{k}={v}"))
        return head + opts


@dataclass(frozen=True, slots=True)
class Healthcheck:
    """The proxy's HTTP health check of the app container."""

    path: str = "/up"
    interval: int = 1
    timeout: int = 5


@dataclass(frozen=True, slots=True)
class Buffering:
    """Request/response buffering limits of the proxy (bytes; 0 = unlimited)."""

    requests: bool = True
    responses: bool = True
    max_request_body: int = 1_073_741_824
    max_response_body: int = 0
    memory: int = 1_048_576


@dataclass(frozen=True, slots=True)
class ProxyLogging:
    """Extra request/response headers the proxy logs."""

    request_headers: tuple[str, ...] = ()
    response_headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SslCertificate:
    """A custom TLS certificate, given as the NAMES of two secrets holding PEM text."""

    certificate_pem: str
    private_key_pem: str


@dataclass(frozen=True, slots=True)
class ProxyRun:
    """How the proxy container itself runs on each host (top-level `proxy.run`)."""

    http_port: int = 80
    https_port: int = 443
    metrics_port: int | None = None
    debug: bool = False
    log_max_size: str = "10m"
    publish: bool = True
    bind_ips: tuple[str, ...] = ()
    registry: str | None = None
    repository: str | None = None
    version: str | None = None
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Proxy:
    """Routing of one role's containers behind the reverse proxy."""

    hosts: tuple[str, ...] = ()
    app_port: int = 80
    ssl: bool = False
    ssl_certificate: SslCertificate | None = None
    ssl_redirect: bool = True
    forward_headers: bool | None = None
    response_timeout: int = 30
    path_prefixes: tuple[str, ...] = ()
    strip_path_prefix: bool = True
    healthcheck: Healthcheck = field(default_factory=Healthcheck)
    buffering: Buffering = field(default_factory=Buffering)
    logging: ProxyLogging = field(default_factory=ProxyLogging)
    run: ProxyRun = field(default_factory=ProxyRun)

    @property
    def host(self) -> str | None:
        """The first host name, or None when the proxy answers any host."""
        return self.hosts[0] if self.hosts else None


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
class Credential:
    """A registry username/password: a secret NAME (`[NAME]` in YAML) or a literal value."""

    secret: str | None = None
    literal: Sensitive | None = None

    def describe(self) -> str:
        """Printable form: `secret:NAME` or `[REDACTED]`; never the value."""
        return f"secret:{self.secret}" if self.secret else "[REDACTED]"


@dataclass(frozen=True, slots=True)
class Registry:
    """Where images are pushed: server (None = Docker Hub) and credentials."""

    server: str | None = None
    username: Credential | None = None
    password: Credential | None = None

    @property
    def local(self) -> bool:
        """True for a registry on the deploying machine (localhost:PORT), forwarded over ssh."""
        host = (self.server or "").split(":")[0]
        return host in ("localhost", "127.0.0.1")


@dataclass(frozen=True, slots=True)
class BuilderCache:
    """Build cache settings (type `gha` or `registry`)."""

    type: str
    options: str | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class Pack:
    """Cloud Native Buildpacks settings."""

    builder: str
    buildpacks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Builder:
    """How the image is built."""

    arch: tuple[str, ...]
    remote: str | None = None
    local: bool = True
    driver: str = "docker-container"
    cache: BuilderCache | None = None
    context: str | None = None
    dockerfile: str = "Dockerfile"
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=_empty_map)
    secrets: tuple[str, ...] = ()
    ssh: str | None = None
    provenance: str | bool | None = None
    sbom: str | bool | None = None
    pack: Pack | None = None

    @property
    def git_clone(self) -> bool:
        """Kamal builds from a clean clone of HEAD unless a context is given."""
        return self.context is None


@dataclass(frozen=True, slots=True)
class Ssh:
    """How to reach servers over ssh."""

    user: str = "root"
    port: int = 22
    proxy: str | None = None
    proxy_command: str | None = None
    keys: tuple[str, ...] = ()
    key_data: tuple[str, ...] = ()
    keys_only: bool | None = None
    config: bool | tuple[str, ...] = True
    log_level: str = "fatal"


@dataclass(frozen=True, slots=True)
class Sshkit:
    """Connection pool settings (Kamal's sshkit section)."""

    max_concurrent_starts: int = 30
    pool_idle_timeout: int = 900
    dns_retries: int = 3


@dataclass(frozen=True, slots=True)
class Boot:
    """Rolling boot: how many hosts at once (`limit`, int or "N%"), `wait` seconds between."""

    limit: int | str | None = None
    wait: int | None = None
    parallel_roles: bool = False

    def batch_size(self, host_count: int) -> int:
        """Hosts per batch for a role with `host_count` hosts (all of them when no limit)."""
        if self.limit is None:
            return max(host_count, 1)
        if isinstance(self.limit, str):
            return max(host_count * int(self.limit.rstrip("%")) // 100, 1)
        return max(self.limit, 1)


@dataclass(frozen=True, slots=True)
class AccessoryFile:
    """A file (`files`) or directory (`directories`) mounted into an accessory."""

    local: str
    remote: str
    mode: str | None = None
    owner: str | None = None
    options: str | None = None


@dataclass(frozen=True, slots=True)
class Accessory:
    """A long-running side service (database, cache) booted once per host."""

    name: str
    service: str
    image: str
    hosts: tuple[str, ...]
    port: str | None = None
    cmd: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=_empty_map)
    env: Env = field(default_factory=Env)
    files: tuple[AccessoryFile, ...] = ()
    directories: tuple[AccessoryFile, ...] = ()
    volumes: tuple[str, ...] = ()
    network: str = "kamal"
    registry: Registry | None = None
    proxy: Proxy | None = None


@dataclass(frozen=True, slots=True)
class KamalpyExtras:
    """kamalpy's own settings, read from the top-level `x-kamalpy` key (Kamal ignores `x-`)."""

    inputs: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()


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
