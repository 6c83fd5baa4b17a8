"""Pure: where a role's custom TLS certificate (from the secrets store) lives, and how its route
file points Traefik at it.

The PEM files go in a `certs/` directory inside the watched directory, which is already mounted
(read-only) into the proxy: no new mount, so a running proxy needs no reboot. Traefik's file
provider reads only `.yml`/`.yaml`/`.toml`, so `.crt`/`.key` files are never parsed as routes.
Both are 0600 on the host: the key never sits in a world-readable file.
"""

from __future__ import annotations

from dataclasses import dataclass

# Same directory as commands.proxy.DYNAMIC_DIR / CONTAINER_DYNAMIC_DIR (that module imports this).
HOST_DIR = ".kamal/proxy/dynamic/certs"
CONTAINER_DIR = "/etc/traefik/dynamic/certs"


@dataclass(frozen=True)
class CertFiles:
    """A route's certificate and key, on the host and as the proxy container sees them."""

    host_cert: str
    host_key: str
    container_cert: str
    container_key: str


def cert_files(route_name: str) -> CertFiles:
    """`certs/<route>.crt` and `certs/<route>.key`."""
    return CertFiles(
        host_cert=f"{HOST_DIR}/{route_name}.crt",
        host_key=f"{HOST_DIR}/{route_name}.key",
        container_cert=f"{CONTAINER_DIR}/{route_name}.crt",
        container_key=f"{CONTAINER_DIR}/{route_name}.key",
    )


def tls_section(route_name: str) -> dict[str, object]:
    """The route file's top-level `tls` key: Traefik serves this pair to matching SNI names."""
    files = cert_files(route_name)
    return {"certificates": [{"certFile": files.container_cert, "keyFile": files.container_key}]}
