"""Pure: the read-only probe `setup` runs on each server, and what its answer says is missing.

One round trip per host prints `key value...` lines: the ssh user, whether Docker is present and
usable by that user, curl, the OS id, and who holds each proxy port (free, our Traefik, another
container, or a process outside Docker). `problems()` turns that into what is wrong and the
exact fix, so `setup` can refuse before it changes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kamalpy.commands.proxy import CONTAINER_NAME

Argv = tuple[str, ...]
DEBIAN_LIKE = ("debian", "ubuntu")
_PROBE = r"""
echo "user $(id -un)"
if command -v docker >/dev/null 2>&1; then
  if out=$(docker info --format '{{.ServerVersion}}' 2>&1); then echo "docker ok $out"
  else echo "docker unusable $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-200)"; fi
else echo "docker missing"; fi
if command -v curl >/dev/null 2>&1; then echo "curl ok"; else echo "curl missing"; fi
if [ -r /etc/os-release ]; then . /etc/os-release; echo "os ${ID:-unknown}"; fi
for port in "$@"; do
  holder=$(docker ps --filter "publish=$port" \
    --format '{{.Names}} {{.Label "org.kamalpy.proxy"}}' 2>/dev/null | head -n 1)
  if [ -n "$holder" ]; then echo "port $port container $holder"; continue; fi
  hex=$(printf '%04X' "$port")
  if awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null; then echo "port $port listener"
  else echo "port $port free"; fi
done
"""


def probe_argv(ports: Sequence[int]) -> Argv:
    """The read-only probe; `ports` are the proxy's host ports (80, and 443 with ssl)."""
    return ("sh", "-c", _PROBE, "kamalpy-setup-probe", *(str(p) for p in ports))


# Downloaded first, then run: in `curl | sh` a failed download reads as sh's success on no input.
_INSTALL = 'script=$(curl -fsSL https://get.docker.com) && printf "%s\\n" "$script" | sh'


def install_docker_argv() -> Argv:
    """Kamal's way on Debian/Ubuntu as root: Docker's convenience script."""
    return ("sh", "-c", _INSTALL)


@dataclass(frozen=True)
class Report:
    """What the probe said about one host."""

    user: str = ""
    docker: str = "missing"  # ok | unusable | missing
    docker_detail: str = ""
    curl: bool = False
    os: str = ""
    ports: tuple[tuple[int, str], ...] = ()  # (port, "free" | "ours" | "listener" | "container X")


def parse_probe(output: str) -> Report:
    """The probe's lines as a Report."""
    fields: dict[str, str] = {}
    ports: list[tuple[int, str]] = []
    for line in output.splitlines():
        key, _, rest = line.strip().partition(" ")
        if key == "port":
            number, _, holder = rest.partition(" ")
            ports.append((int(number), _holder(holder)))
        elif key:
            fields[key] = rest
    docker, _, detail = fields.get("docker", "missing").partition(" ")
    return Report(
        user=fields.get("user", ""), docker=docker, docker_detail=detail,
        curl=fields.get("curl") == "ok", os=fields.get("os", ""), ports=tuple(ports),
    )  # fmt: skip


def _holder(text: str) -> str:
    if not text.startswith("container "):
        return text
    name, _, label = text.removeprefix("container ").partition(" ")
    return "ours" if name == CONTAINER_NAME and label.strip() == "traefik" else f"container {name}"


@dataclass(frozen=True)
class Problem:
    """Something missing on a host, and the exact fix."""

    what: str
    fix: str


def can_install_docker(report: Report) -> bool:
    """Docker is absent on a Debian/Ubuntu host whose ssh user is root: setup installs it."""
    return report.docker == "missing" and report.os in DEBIAN_LIKE and report.user == "root"


def problems(report: Report) -> list[Problem]:
    """What stops kamalpy on this host (Docker that setup installs itself is not a problem)."""
    found: list[Problem] = []
    user = report.user or "the ssh user"
    if report.docker == "missing" and not can_install_docker(report):
        fix = "install it: curl -fsSL https://get.docker.com | sudo sh"
        found.append(Problem("Docker is not installed", fix))
    if report.docker == "unusable":
        found.append(Problem(
            f"Docker is installed but {user} cannot use it ({report.docker_detail.strip()})",
            f"start it (sudo systemctl enable --now docker) and let {user} use it: "
            f"sudo usermod -aG docker {user}, then log in again",
        ))  # fmt: skip
    if not report.curl:
        found.append(Problem("curl is not installed", "sudo apt-get install -y curl"))
    for port, holder in report.ports:
        found += _port_problem(port, holder)
    return found


def _port_problem(port: int, holder: str) -> list[Problem]:
    move = "or publish kamalpy's proxy elsewhere (proxy.run.http_port/https_port)"
    if holder in ("free", "ours"):
        return []
    if holder == f"container {CONTAINER_NAME}":
        return [Problem(f"port {port} is held by Kamal's kamal-proxy (kamalpy runs Traefik)",
                        f"remove it on this host: kamal proxy remove, {move}")]  # fmt: skip
    if holder.startswith("container "):
        name = holder.removeprefix("container ")
        return [Problem(f"port {port} is published by container {name}",
                        f"stop it: docker rm -f {name}, {move}")]  # fmt: skip
    return [Problem(f"port {port} is in use by a process outside Docker (nginx? apache?)",
                    f"find it with: sudo ss -ltnp 'sport = :{port}', stop it, {move}")]  # fmt: skip
