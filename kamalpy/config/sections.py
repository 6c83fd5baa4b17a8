"""Model classes of the configuration sections: proxy, registry, builder, ssh, boot, accessories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kamalpy.config.values import Env, _empty_map, frozen_map
from kamalpy.sensitive import Sensitive


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
    def forwards_headers(self) -> bool:
        """Whether X-Forwarded-* headers reach the app (default: only without ssl)."""
        return self.forward_headers if self.forward_headers is not None else not self.ssl

    @property
    def host(self) -> str | None:
        """The first host name, or None when the proxy answers any host."""
        return self.hosts[0] if self.hosts else None


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

    @property
    def image_ref(self) -> str:
        """The image to pull: prefixed with the accessory's own registry server when set."""
        server = self.registry.server if self.registry else None
        return f"{server}/{self.image}" if server else self.image

    @property
    def all_labels(self) -> Mapping[str, str]:
        """Labels the container carries: `service=<accessory service>` then custom ones."""
        return frozen_map({"service": self.service, **self.labels})


@dataclass(frozen=True, slots=True)
class KamalpyExtras:
    """kamalpy's own settings, read from the top-level `x-kamalpy` key (Kamal ignores `x-`)."""

    inputs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # globs never counted as inputs
    depends_on: tuple[str, ...] = ()
    local_hosts: tuple[str, ...] = ()  # hosts that are this machine: no ssh
    proxy_api_port: int | None = None  # None: the proxy layer's default
    command_timeouts: Mapping[str, int] = field(default_factory=frozen_map)  # quick, long (s)
    parallel_hosts: int = 100  # hosts a step works on at once (connection starts: sshkit)
    acme_ca_server: str | None = None  # ACME directory for proxy.ssl; None: Let's Encrypt
    acme_email: str | None = None  # contact of the ACME account
    acme_ca_certificates: str | None = None  # PEM file (as written) the proxy trusts for ACME
    acme_ca_pem: str | None = None  # its content, read when the configuration is loaded
    error_pages_image: str | None = None  # the image serving error pages; None: busybox
