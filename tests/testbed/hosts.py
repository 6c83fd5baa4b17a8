"""Hosts of the bed: a network namespace each, with its own sshd, dockerd, home and socat."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.testbed import prereq, proc
from tests.testbed.registry import registry_port, socket_path
from tests.testbed.spec import Host, bridge_name, gateway_ip
from tests.testbed.state import State


def make_bridge(state: State) -> None:
    """Root-side bridge with the gateway address of the bed's /24."""
    bridge = bridge_name(state.prefix)
    state.note("links", bridge)
    proc.run(["ip", "link", "add", bridge, "type", "bridge"])
    proc.run(["ip", "addr", "add", f"{gateway_ip(state.index)}/24", "dev", bridge])
    proc.run(["ip", "link", "set", bridge, "up"])


def make_namespace(state: State, host: Host) -> None:
    """Namespace with lo up and eth0 (a veth plugged into the bridge) carrying host.ip."""
    ns, outer, inner = host.namespace, host.namespace, f"{host.namespace}p"
    state.note("namespaces", ns)
    state.note("mounts", f"/run/netns/{ns}")  # `ip netns add` bind-mounts the namespace here
    proc.run(["ip", "netns", "add", ns])
    state.note("links", outer)
    proc.run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner])
    proc.run(["ip", "link", "set", inner, "netns", ns])
    proc.run(["ip", "link", "set", outer, "master", bridge_name(state.prefix), "up"])
    inside = ["ip", "-n", ns]
    proc.run([*inside, "link", "set", inner, "name", "eth0"])
    proc.run([*inside, "addr", "add", f"{host.ip}/24", "dev", "eth0"])
    proc.run([*inside, "link", "set", "eth0", "up"])
    proc.run([*inside, "link", "set", "lo", "up"])
    # No default route on purpose: hosts reach only the bed's /24 (and the registry socket),
    # so nothing leaves the machine and a stray lookup fails at once instead of timing out.


def write_etc(state: State, host: Host) -> None:
    """/etc/netns/NS/{passwd,shadow}: root gets this host's home and a key-only account."""
    etc = Path("/etc/netns") / host.namespace
    state.note("etc_dirs", str(etc))
    etc.mkdir(parents=True, exist_ok=True)
    passwd = []
    for line in Path("/etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == "root":
            fields[5] = host.home
        passwd.append(":".join(fields))
    (etc / "passwd").write_text("\n".join(passwd) + "\n")
    # "*" = no password but not locked, so sshd (UsePAM no) accepts the key.
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "shadow").chmod(0o600)


def make_home(host: Host, public_key: str) -> None:
    """Root's home on this host with the bed's key authorised."""
    ssh = Path(host.home) / ".ssh"
    ssh.mkdir(parents=True, exist_ok=True, mode=0o700)
    (ssh / "authorized_keys").write_text(public_key)
    (ssh / "authorized_keys").chmod(0o600)


def sshd_config(host: Host, hdir: Path) -> Path:
    """Key-only root sshd on port 22 whose sessions talk to this host's dockerd."""
    keyfile = hdir / "ssh_host_ed25519_key"
    if not keyfile.exists():
        proc.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keyfile)])
    config = hdir / "sshd_config"
    config.write_text(
        "\n".join(
            [
                "Port 22",
                "ListenAddress 0.0.0.0",
                f"HostKey {keyfile}",
                f"PidFile {hdir / 'sshd.pid'}",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "AuthorizedKeysFile .ssh/authorized_keys",
                "PrintMotd no",
                "MaxStartups 100:30:200",
                "MaxSessions 100",
                f"SetEnv DOCKER_HOST={host.docker_host}",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    return config


def start_daemons(state: State, host: Host, run: Path, data: Path) -> None:
    """Start socat (registry on 127.0.0.1), sshd and dockerd inside the host's namespace."""
    hdir = run / host.name
    hdir.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    logs = run / "logs"
    port = registry_port(state.index)
    listen = f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"
    socat = ["socat", listen, f"UNIX-CONNECT:{socket_path(run)}"]
    pid = proc.spawn(_net(host, socat), logs / f"{host.name}-socat.log")
    state.note_process(f"socat {host.name}", pid)
    sshd = [prereq.tool_path("sshd"), "-D", "-e", "-f", str(sshd_config(host, hdir))]
    # Own UTS namespace: `hostname` on h1 says h1.
    named = ["unshare", "--uts", "sh", "-c", 'hostname "$1" && shift && exec "$@"', "sh", host.name]
    pid = proc.spawn(host.netns_argv([*named, *sshd]), logs / f"{host.name}-sshd.log")
    state.note_process(f"sshd {host.name}", pid)
    state.note("cgroups", host.cgroup_parent)
    pid = proc.spawn(_net(host, dockerd_argv(host, hdir, data)), logs / f"{host.name}-dockerd.log")
    state.note_process(f"dockerd {host.name}", pid)


def _net(host: Host, argv: list[str]) -> list[str]:
    """Enter only the network namespace (dockerd needs the real /sys and cgroups)."""
    return ["nsenter", f"--net=/run/netns/{host.namespace}", *argv]


def dockerd_argv(host: Host, hdir: Path, data: Path) -> list[str]:
    """dockerd with its own roots, socket, bridge, address pool and cgroup parent."""
    etc_docker = data / host.name / "etc-docker"
    etc_docker.mkdir(parents=True, exist_ok=True)
    Path("/etc/docker").mkdir(exist_ok=True)  # the bind mount target
    # A private mount namespace keeps the engine's overlay mounts out of the root one; its own
    # /etc/docker gives it its own key.json (engine ID) and no daemon.json of the root engine.
    setup = 'hostname "$1" && mount --bind "$2" /etc/docker && shift 2 && exec "$@"'
    return [
        *("unshare", "--mount", "--uts", "--propagation", "slave"),
        *("sh", "-c", setup, "sh", host.name, str(etc_docker)),
        "dockerd",
        *("--data-root", str(data / host.name / "docker")),
        *("--exec-root", str(hdir / "exec")),
        *("-H", host.docker_host),
        *("--pidfile", str(hdir / "docker.pid")),
        *("--bip", host.docker_bip),
        *("--default-address-pool", f"base={host.docker_pool},size=24"),
        *("--cgroup-parent", host.cgroup_parent),
        *("--shutdown-timeout", "2"),
        "--userland-proxy=false",
    ]


def wait_ready(host: Host, run: Path, timeout: float = 40) -> None:
    """Wait for this host's sshd (tcp/22) and dockerd (/_ping) to answer."""
    if not proc.wait_until(lambda: _tcp_open(host.ip, 22), timeout):
        raise proc.BedError(
            f"sshd on {host.name} ({host.ip}) did not come up:\n{_log(run, host, 'sshd')}"
        )
    if not proc.wait_until(lambda: _docker_pings(host.docker_socket), timeout):
        raise proc.BedError(
            f"dockerd on {host.name} did not come up:\n{_log(run, host, 'dockerd')}"
        )


def _log(run: Path, host: Host, what: str) -> str:
    try:
        return (run / "logs" / f"{host.name}-{what}.log").read_text(errors="replace")[-1500:]
    except OSError:
        return "(no log)"


def _tcp_open(ip: str, port: int) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=0.5):
            return True
    except OSError:
        return False


def _docker_pings(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(2)
            conn.connect(path)
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in conn.recv(64).split(b"\r\n", 1)[0]
    except OSError:
        return False
