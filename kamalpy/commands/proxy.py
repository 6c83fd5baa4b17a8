"""Pure builders for the Traefik v3 proxy: its container, its API queries, dynamic config files.

Traefik's file provider watches a directory bind-mounted from the host; each proxied service role
has one file there. A route is switched by writing a temp file (ignored: not `.yml`) and renaming
it over the live file, so Traefik never reads a half-written file and is never restarted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from kamalpy.commands import error_pages
from kamalpy.commands.health import http_get_argv
from kamalpy.commands.proxy_certs import tls_section

Argv = tuple[str, ...]

CONTAINER_NAME = "kamal-proxy"
DEFAULT_IMAGE = "traefik:v3"
DEFAULT_API_PORT = 8089
PROXY_DIR = ".kamal/proxy"
DYNAMIC_DIR = f"{PROXY_DIR}/dynamic"
ACME_DIR = f"{PROXY_DIR}/acme"
CONTAINER_DYNAMIC_DIR = "/etc/traefik/dynamic"
CONTAINER_ACME_DIR = "/etc/traefik/acme"
CERT_RESOLVER = "letsencrypt"
ACME_CA_FILE = f"{ACME_DIR}/ca.pem"
# Connections to a backend idle this long are closed, so one still open is a request in flight.
IDLE_CONN_TIMEOUT = "1s"


@dataclass(frozen=True)
class ProxySettings:
    """How the per-host Traefik container is run."""

    image: str = DEFAULT_IMAGE
    http_port: int = 80
    https_port: int = 443
    api_port: int = DEFAULT_API_PORT
    ssl: bool = False
    acme_email: str | None = None
    acme_ca_server: str | None = None
    bind_ips: tuple[str, ...] = ()  # host addresses the HTTP(S) ports are published on; () = all
    # forward_headers: true on a role: pass clients' X-Forwarded-* on (a load balancer in front).
    # Traefik decides this per entrypoint, so it holds for every service on the host.
    trust_forwarded_headers: bool = False
    acme_ca_pem: str | None = None  # CAs trusted for the ACME server, uploaded as ACME_CA_FILE
    # A CA bundle already on the host, kept from the running proxy (proxy_config.merged): its
    # digest, so the flag pointing at ACME_CA_FILE stays without uploading it again.
    acme_ca_digest: str | None = None


def _publish(settings: ProxySettings, host_port: int, container_port: int) -> list[str]:
    """`--publish` flags for one port: once per bind address (IPv6 bracketed), or on all."""
    if not settings.bind_ips:
        return ["--publish", f"{host_port}:{container_port}"]
    flags: list[str] = []
    for ip in settings.bind_ips:
        address = f"[{ip}]" if ":" in ip and not ip.startswith("[") else ip
        flags += ["--publish", f"{address}:{host_port}:{container_port}"]
    return flags


def static_flags(settings: ProxySettings) -> Argv:
    """Traefik's static configuration as command-line flags."""
    flags = [
        "--entrypoints.web.address=:80",
        f"--providers.file.directory={CONTAINER_DYNAMIC_DIR}",
        "--providers.file.watch=true",
        # Default throttle is 2 s; 100 ms makes a switch visible in ~30-260 ms (docs/proxy.md).
        "--providers.providersThrottleDuration=100ms",
        "--api=true",
        "--api.insecure=true",
        "--entrypoints.traefik.address=:8080",
        "--ping=true",
        "--log.level=WARN",
    ]
    if settings.trust_forwarded_headers:
        flags.append("--entrypoints.web.forwardedHeaders.insecure=true")
        if settings.ssl:
            flags.append("--entrypoints.websecure.forwardedHeaders.insecure=true")
    if settings.ssl:
        flags += [
            "--entrypoints.websecure.address=:443",
            f"--certificatesresolvers.{CERT_RESOLVER}.acme.httpchallenge=true",
            f"--certificatesresolvers.{CERT_RESOLVER}.acme.httpchallenge.entrypoint=web",
            f"--certificatesresolvers.{CERT_RESOLVER}.acme.storage={CONTAINER_ACME_DIR}/acme.json",
        ]
        if settings.acme_email:
            flags.append(
                f"--certificatesresolvers.{CERT_RESOLVER}.acme.email={settings.acme_email}"
            )
        if settings.acme_ca_pem or settings.acme_ca_digest:
            flags.append(
                f"--certificatesresolvers.{CERT_RESOLVER}.acme.cacertificates="
                f"{CONTAINER_ACME_DIR}/ca.pem"
            )
        if settings.acme_ca_server:
            flags.append(
                f"--certificatesresolvers.{CERT_RESOLVER}.acme.caserver={settings.acme_ca_server}"
            )
    return tuple(flags)


def run_argv(settings: ProxySettings, labels: Mapping[str, str] | None = None) -> Argv:
    """Boot the proxy container; `sh -c` only to make the bind-mount sources absolute via $HOME."""
    # The published API is bound to the host's loopback: never reachable from outside.
    ports = _publish(settings, settings.http_port, 80)
    if settings.ssl:
        ports += _publish(settings, settings.https_port, 443)
    ports += ["--publish", f"127.0.0.1:{settings.api_port}:8080"]
    script = (
        f'mkdir -p "$HOME/{DYNAMIC_DIR}" "$HOME/{ACME_DIR}" && '
        f'exec docker run --volume "$HOME/{DYNAMIC_DIR}:{CONTAINER_DYNAMIC_DIR}:ro" '
        f'--volume "$HOME/{ACME_DIR}:{CONTAINER_ACME_DIR}" "$@"'
    )
    run_args = (
        "--detach",
        "--restart",
        "unless-stopped",
        "--name",
        CONTAINER_NAME,
        "--network",
        "kamal",
        "--label",
        "org.kamalpy.proxy=traefik",
        *(f for key, value in (labels or {}).items() for f in ("--label", f"{key}={value}")),
        *ports,
        settings.image,
        *static_flags(settings),
    )
    return ("sh", "-c", script, "kamalpy-proxy-boot", *run_args)


def exists_argv() -> Argv:
    """Prints the proxy container's state (`running`), or fails when there is none."""
    return ("docker", "inspect", "--format", "{{.State.Status}}", CONTAINER_NAME)


def start_argv() -> Argv:
    """Start a stopped proxy container."""
    return ("docker", "start", CONTAINER_NAME)


def stop_argv() -> Argv:
    """Stop the proxy (only on explicit request: deploys never touch it)."""
    return ("docker", "stop", CONTAINER_NAME)


def remove_argv() -> Argv:
    """Remove the proxy container."""
    return ("docker", "rm", "--force", CONTAINER_NAME)


def logs_argv(lines: int = 100) -> Argv:
    """The proxy's recent log lines."""
    return ("docker", "logs", "--tail", str(lines), CONTAINER_NAME)


def config_name(service: str, role: str, destination: str | None) -> str:
    """Router/service name and file stem: `<service>-<role>[-<dest>]`."""
    return "-".join(p for p in (service, role, destination) if p)


def config_path(service: str, role: str, destination: str | None) -> str:
    """The dynamic config file of one service role, relative to the ssh user's home."""
    return f"{DYNAMIC_DIR}/{config_name(service, role, destination)}.yml"


def temp_path(service: str, role: str, destination: str | None, version: str) -> str:
    """Where the next config is written first; Traefik ignores names not ending in .yml."""
    return f"{DYNAMIC_DIR}/.{config_name(service, role, destination)}.{version}.tmp"


def mkdir_argv() -> Argv:
    """Create the watched directory (before the proxy boots or a config is written)."""
    return ("mkdir", "-p", DYNAMIC_DIR, ACME_DIR)


def rename_argv(temp: str, final: str) -> Argv:
    """Atomically replace the live config with the new one (same directory: one rename)."""
    return ("mv", "-f", "--", temp, final)


def remove_config_argv(path: str) -> Argv:
    """Remove a role's route (its file) from the proxy."""
    return ("rm", "-f", "--", path)


def read_config_argv(path: str) -> Argv:
    """Print a dynamic config file (exit 1 when it does not exist)."""
    return ("cat", "--", path)


def route_servers(content: bytes) -> tuple[str, ...]:
    """The backend URLs a dynamic config file routes to (empty for maintenance or garbage)."""
    try:
        data = yaml.safe_load(content.decode(errors="replace"))
        services = data["http"]["services"]
        return tuple(
            str(server["url"])
            for name, service in services.items()
            if not str(name).endswith(error_pages.SERVICE_SUFFIX)
            for server in service["loadBalancer"]["servers"] or ()
        )
    except (yaml.YAMLError, KeyError, TypeError, AttributeError):
        return ()


def api_argv(api_port: int, resource: str) -> Argv:
    """GET a Traefik API resource on the host's loopback (bash only), e.g. `http/routers`."""
    return http_get_argv("127.0.0.1", api_port, f"/api/{resource}")


def _escape_rule_value(value: str) -> str:
    if "`" in value:
        raise ValueError(f"proxy host/path cannot contain a backtick: {value!r}")
    return value


def router_rule(hosts: Sequence[str], path_prefixes: Sequence[str]) -> str:
    """Traefik rule from proxy hosts and path prefixes; every request when neither is set."""
    parts = []
    if hosts:
        parts.append("Host(" + ", ".join(f"`{_escape_rule_value(h)}`" for h in hosts) + ")")
    prefixes = [p for p in path_prefixes if p and p != "/"]
    if prefixes:
        alternatives = [f"PathPrefix(`{_escape_rule_value(p)}`)" for p in prefixes]
        joined = " || ".join(alternatives)
        parts.append(f"({joined})" if len(alternatives) > 1 else joined)
    return " && ".join(parts) if parts else "PathPrefix(`/`)"


@dataclass(frozen=True)
class BufferLimits:
    """Traefik's buffering middleware: body limits in bytes (0 = unlimited), memory per body."""

    max_request_body: int
    max_response_body: int
    memory: int


@dataclass(frozen=True)
class Route:
    """One service role's route: where requests that match go, and how long they may take."""

    name: str
    hosts: tuple[str, ...]
    path_prefixes: tuple[str, ...]
    backend: str
    app_port: int
    ssl: bool = False
    response_timeout: int = 30
    strip_path_prefix: bool = True
    ssl_redirect: bool = True  # with ssl: plain HTTP redirects to https (else it is served too)
    buffering: BufferLimits | None = None  # None: streamed (Traefik's default)
    custom_cert: bool = False  # with ssl: serve the uploaded certificate, no ACME order
    error_pages: tuple[str, ...] = ()  # page file names (4xx.html, 503.html...) in error_pages_dir
    error_pages_dir: str = ""


def backend_url(route: Route) -> str:
    """The backend URL: the container's name resolved on the `kamal` network."""
    return f"http://{route.backend}:{route.app_port}"


def _router(route: Route) -> dict[str, object]:
    router: dict[str, object] = {
        "rule": router_rule(route.hosts, route.path_prefixes),
        "service": route.name,
        "entryPoints": ["websecure"] if route.ssl else ["web"],
    }
    if route.ssl:
        router["tls"] = {} if route.custom_cert else {"certResolver": CERT_RESOLVER}
    return router


def _middlewares(route: Route, routers: dict[str, dict[str, object]]) -> dict[str, object]:
    """Strip the path prefix (Kamal's default) and redirect plain HTTP when ssl is on."""
    middlewares: dict[str, object] = {}
    main = routers[route.name]
    if route.error_pages:  # outermost: they see the status whatever answered
        pages = error_pages.middlewares(route.name, route.error_pages_dir, route.error_pages)
        middlewares.update(pages)
        main["middlewares"] = list(pages)
    prefixes = [p for p in route.path_prefixes if p and p != "/"]
    if prefixes and route.strip_path_prefix:
        strip = f"{route.name}-strip-prefix"
        middlewares[strip] = {"stripPrefix": {"prefixes": prefixes}}
        main["middlewares"] = [*main.get("middlewares", []), strip]  # type: ignore[misc]
    if route.buffering is not None:
        limits = route.buffering
        buffering = f"{route.name}-buffering"
        middlewares[buffering] = {
            "buffering": {
                "maxRequestBodyBytes": limits.max_request_body,
                "memRequestBodyBytes": limits.memory,
                "maxResponseBodyBytes": limits.max_response_body,
                "memResponseBodyBytes": limits.memory,
            }
        }
        main["middlewares"] = [*main.get("middlewares", []), buffering]  # type: ignore[misc]
    if route.ssl:
        plain: dict[str, object] = {"rule": main["rule"], "service": route.name,
                                    "entryPoints": ["web"]}  # fmt: skip
        if route.ssl_redirect:
            redirect = f"{route.name}-https-redirect"
            middlewares[redirect] = {"redirectScheme": {"scheme": "https", "permanent": True}}
            plain["middlewares"] = [redirect]
        elif "middlewares" in main:
            plain["middlewares"] = main["middlewares"]
        routers[f"{route.name}-http"] = plain
    return middlewares


def dynamic_config(route: Route) -> dict[str, object]:
    """The dynamic configuration mapping for one role (routers, service, servers transport)."""
    routers: dict[str, dict[str, object]] = {route.name: _router(route)}
    middlewares = _middlewares(route, routers)
    load_balancer = {
        "servers": [{"url": backend_url(route)}],
        "passHostHeader": True,
        "serversTransport": route.name,
    }
    timeouts = {
        "dialTimeout": "5s",
        "idleConnTimeout": IDLE_CONN_TIMEOUT,
        "responseHeaderTimeout": f"{route.response_timeout}s",
    }
    services: dict[str, object] = {route.name: {"loadBalancer": load_balancer}}
    if route.error_pages:
        services[route.name + error_pages.SERVICE_SUFFIX] = error_pages.pages_service()
    http: dict[str, object] = {
        "routers": routers,
        "services": services,
        "serversTransports": {route.name: {"forwardingTimeouts": timeouts}},
    }
    if middlewares:
        http["middlewares"] = middlewares
    if route.ssl and route.custom_cert:
        return {"http": http, "tls": tls_section(route.name)}
    return {"http": http}


def render_dynamic_config(route: Route, *, version: str) -> bytes:
    """The YAML file content for one role, with a header saying which version it routes to."""
    header = f"# kamalpy: {route.name} -> {route.backend} (version {version})\n"
    body = yaml.safe_dump(dynamic_config(route), sort_keys=True, default_flow_style=False)
    return (header + body).encode()


def render_maintenance_config(route: Route) -> bytes:
    """The role's route with no server behind it: the proxy answers 503 until `app live`."""
    config = dynamic_config(route)
    text = yaml.safe_dump(config, sort_keys=True, default_flow_style=False)
    empty = yaml.safe_load(text)
    empty["http"]["services"][route.name]["loadBalancer"]["servers"] = []
    header = f"# kamalpy: {route.name} in maintenance (503)\n"
    return (header + yaml.safe_dump(empty, sort_keys=True)).encode()
