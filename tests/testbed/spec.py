"""What a test bed is: its names, addresses and paths (pure data, no processes)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RUN_ROOT = Path("/run/kamalpy-testbed")  # small state: sockets, pid files, configs, state.json
DATA_ROOT = Path("/var/tmp/kamalpy-testbed")  # bulky state: docker data roots, registry storage
CACHE_ROOT = Path("/var/cache/kamalpy-testbed")  # survives beds: debootstrap tarballs
REGISTRY_BASE_PORT = 5000  # bed index i serves its registry on 127.0.0.1:5000+i
MAX_INDEX = 63
MAX_HOSTS = 9
# Interface names are limited to 15 bytes: "<prefix>-h9p" must fit.
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]{0,7}")


class SpecError(ValueError):
    """A bed was asked for with an unusable prefix, host count or index."""


@dataclass(frozen=True)
class BedSpec:
    """What to bring up: a prefix that names every resource, a host count, a slot index."""

    prefix: str = "kp"
    hosts: int = 3
    index: int | None = None  # None: the lowest index no other bed uses

    def __post_init__(self) -> None:
        if not PREFIX_PATTERN.fullmatch(self.prefix):
            raise SpecError(f"prefix {self.prefix!r} must match {PREFIX_PATTERN.pattern}")
        if not 1 <= self.hosts <= MAX_HOSTS:
            raise SpecError(f"hosts must be 1..{MAX_HOSTS}, got {self.hosts}")
        if self.index is not None and not 0 <= self.index <= MAX_INDEX:
            raise SpecError(f"index must be 0..{MAX_INDEX}, got {self.index}")


def session_prefix(pid: int) -> str:
    """Prefix of the bed a pytest process owns ("kt" + pid in base 36): runs never share."""
    digits = ""
    while True:
        pid, rest = divmod(pid, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if pid == 0:
            return f"kt{digits}"


def run_dir(prefix: str) -> Path:
    """Directory holding the state file and sockets of the bed named `prefix`."""
    return RUN_ROOT / prefix


def data_dir(prefix: str) -> Path:
    """Directory holding the bulky data of the bed named `prefix`."""
    return DATA_ROOT / prefix


def bridge_name(prefix: str) -> str:
    """The root-namespace bridge every host's veth is plugged into."""
    return f"{prefix}-br"


def gateway_ip(index: int) -> str:
    """Root side address on the bed's private /24."""
    return f"10.231.{index}.1"


@dataclass(frozen=True)
class Host:
    """One machine of the bed: a network namespace with its own sshd, dockerd and home."""

    name: str  # "h1": the ssh alias in the bed's ssh config
    namespace: str  # "kp-h1": `ip netns` name
    ip: str  # address on the bed's /24, reachable from the root namespace
    docker_socket: str  # the host's dockerd socket (sshd sets DOCKER_HOST to it)
    home: str  # root's home directory inside this host
    docker_bip: str  # the host dockerd's default bridge (--bip)
    docker_pool: str  # the host dockerd's pool for user networks (/16 split in /24s)
    cgroup_parent: str  # every container of this host lives under this cgroup

    @property
    def docker_host(self) -> str:
        """DOCKER_HOST value that reaches this host's engine from the root namespace."""
        return f"unix://{self.docker_socket}"

    def netns_argv(self, argv: Sequence[str]) -> list[str]:
        """Argv running `argv` inside this host's network namespace (and its /etc/netns)."""
        return ["ip", "netns", "exec", self.namespace, *argv]


def make_host(prefix: str, index: int, number: int) -> Host:
    """Names and addresses of host `number` (1-based) of the bed."""
    name = f"h{number}"
    return Host(
        name=name,
        namespace=f"{prefix}-{name}",
        ip=f"10.231.{index}.{10 + number}",
        docker_socket=str(run_dir(prefix) / name / "docker.sock"),
        home=str(data_dir(prefix) / name / "home"),
        docker_bip=f"10.{200 + number}.0.1/24",
        docker_pool=f"10.{210 + number}.0.0/16",
        cgroup_parent=f"/kamalpy-testbed-{prefix}-{name}",
    )


@dataclass(frozen=True)
class Bed:
    """A running bed: hosts, ssh access and the registry with its credentials."""

    prefix: str
    index: int
    hosts: tuple[Host, ...]
    gateway: str
    ssh_key: str  # private key accepted by root on every host
    ssh_config: str  # `ssh -F <ssh_config> h1 docker info` works
    registry: str  # "127.0.0.1:<port>", the same address on the root side and on every host
    registry_user: str
    registry_password: str
    docker_config: str  # DOCKER_CONFIG dir logged in to the registry (root side pushes)
    run_dir: str
    data_dir: str

    def host(self, name: str) -> Host:
        """The host called `name` ("h1")."""
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def ssh_argv(self, host: str, argv: Sequence[str]) -> list[str]:
        """Argv running `argv` as root on `host` over ssh (quoted once, here)."""
        return ["ssh", "-F", self.ssh_config, host, "--", shlex.join(argv)]

    def ssh(
        self, host: str, *argv: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` on `host` over ssh; with `check`, a failure raises with its stderr."""
        return _checked(self.ssh_argv(host, argv), input, check, f"on {host}")

    def in_netns(
        self, host: str, *argv: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside `host`'s network namespace (no ssh) and capture its output."""
        return _checked(self.host(host).netns_argv(argv), None, check, f"in netns of {host}")

    def docker_login(self, host: str) -> None:
        """`docker login` on `host` to the bed's registry (password over stdin)."""
        argv = ("docker", "login", "-u", self.registry_user, "--password-stdin", self.registry)
        self.ssh(host, *argv, input=self.registry_password)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the state file."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bed:
        """Inverse of `to_json`."""
        hosts = tuple(Host(**host) for host in data["hosts"])
        return cls(**{**data, "hosts": hosts})

    def describe(self) -> str:
        """Human summary for `status` and `up`."""
        lines = [
            f"bed {self.prefix} (index {self.index}), registry {self.registry} "
            f"user {self.registry_user}",
            f"  ssh -F {self.ssh_config} h1 docker info",
        ]
        for host in self.hosts:
            lines.append(f"  {host.name}  {host.ip:<14} netns {host.namespace}")
        return "\n".join(lines)


class CommandFailed(AssertionError):
    """A command on a bed host failed; the message carries its exit code and stderr."""


def _checked(
    argv: list[str], input: str | None, check: bool, where: str
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, input=input or "", capture_output=True, text=True, check=False, timeout=180
    )
    if check and done.returncode != 0:
        raise CommandFailed(
            f"{shlex.join(argv)} {where} exited {done.returncode}:\n{done.stderr.strip()[-2000:]}"
        )
    return done


def dumps(data: object) -> str:
    """Stable JSON text for state files."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
