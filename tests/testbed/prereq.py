"""What the bed needs from the machine; `missing()` names each absent piece."""

from __future__ import annotations

import os
import subprocess

from tests.support.ci import find_tool

TOOLS = (
    "dockerd",
    "docker",
    "containerd",
    "docker-init",
    "sshd",
    "ssh",
    "ssh-keygen",
    "ip",
    "nsenter",
    "unshare",
    "socat",
    "docker-registry",
    "htpasswd",
    "busybox",
    "debootstrap",
    "iptables",
    "file",
)


def missing() -> list[str]:
    """Human names of the prerequisites that are absent (empty list: the bed can run)."""
    if os.geteuid() != 0:
        return ["root (the bed creates network namespaces and daemons)"]
    absent = [f"`{tool}` on PATH" for tool in TOOLS if find_tool(tool) is None]
    if absent:
        return absent
    if _fails(["ip", "netns", "list"]):
        absent.append("`ip netns` (network namespaces)")
    if _fails(["docker", "version"]):
        absent.append("a running dockerd on the default socket (images are built there)")
    return absent


def tool_path(name: str) -> str:
    """Absolute path of a prerequisite, found the way `missing()` checked for it."""
    found = find_tool(name)
    if found is None:
        raise RuntimeError(f"`{name}` is not on PATH (scripts/bootstrap-host installs it)")
    return found


def _fails(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return True
    return done.returncode != 0
