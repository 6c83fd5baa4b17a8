"""Every `sh -c` / `bash -c` script kamalpy sends to a host, built once with sample values.

The catalogue feeds shellcheck (`python -m tests.support.host_scripts`, run by `nox -s lint`);
a unit test keeps it complete by finding each builder in kamalpy/commands that says `-c`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from kamalpy.commands import (
    accessory,
    app,
    app_scripts,
    audit,
    boot_script,
    details,
    docker_build,
    drain,
    erb,
    error_pages,
    files,
    health,
    lock,
    proxy,
    proxy_claims,
    running,
    setup,
)
from tests.unit.commands.test_accessory import db

Argv = tuple[str, ...]
RUN = ("docker", "run", "--detach", "--name", "hey-web-v2", "hey:v2")
PROXY = proxy.ProxySettings(image="traefik:v3", http_port=80, https_port=443, api_port=8081,
                            ssl=True, bind_ips=("10.0.0.1",))  # fmt: skip

# "module.builder" (optionally "[variant]") -> the argv it builds.
SCRIPTS: dict[str, Argv] = {
    "app.grep_output_argv": app.grep_output_argv(("docker", "logs", "hey-web-v2"), "GET"),
    "app_scripts.network_create_argv": app_scripts.network_create_argv(),
    "app_scripts.prune_containers_argv": app_scripts.prune_containers_argv("hey", "web", None, 4),
    "app_scripts.running_others_argv": app_scripts.running_others_argv("hey", "web", "p", "n"),
    "app_scripts.stop_others_argv": app_scripts.stop_others_argv("hey", "web", None, "n", None),
    "app_scripts.stop_others_argv[timeout]": app_scripts.stop_others_argv(
        "hey", "web", None, "n", 30
    ),
    "app_scripts.retire_argv": app_scripts.retire_argv("hey", "web", None, "n", None, 4),
    "app_scripts.retire_argv[timeout]": app_scripts.retire_argv("hey", "web", None, "n", 30, 4),
    "boot_script.boot_argv": boot_script.boot_argv(boot_script.Boot("hey-web-v2", RUN, False)),
    "boot_script.then_argv": boot_script.then_argv([("docker", "ps"), ("true",)]),
    "audit.record_argv": audit.record_argv("hey", None, "[T] [ann] deploy"),
    "docker_build.pull_checked_argv": docker_build.pull_checked_argv("r/hey:v2", "hey", ("t",)),
    "drain.in_flight_argv": drain.in_flight_argv(["a", "b"], 80),
    "drain.in_flight_old_argv": drain.in_flight_old_argv("hey", "web", None, "n", 80),
    "files.install_from_stdin_argv": files.install_from_stdin_argv("a/b", parent_mode="700"),
    "health.TOOL_CHECK": health.TOOL_CHECK,
    "health.http_get_argv": health.http_get_argv("10.0.0.2", 80, "/up"),
    "health.healthcheck_argv": health.healthcheck_argv("hey-web-v2", 80, "/up"),
    "lock.acquire_argv": lock.acquire_argv("hey", None, "details"),
    "lock.status_argv": lock.status_argv("hey", None),
    "lock.takeover_argv": lock.takeover_argv("hey", None, "details", "c3RhbGU="),
    "lock.heartbeat_argv": lock.heartbeat_argv("hey", None, "details"),
    "lock.release_argv": lock.release_argv("hey", None),
    "lock.release_own_argv": lock.release_own_argv("hey", None, "details"),
    "lock.inspect_argv": lock.inspect_argv("hey", None),
    "proxy.run_argv": proxy.run_argv(PROXY),
    "error_pages.server_run_argv": error_pages.server_run_argv("busybox:1.37"),
    "running.running_containers_argv": running.running_containers_argv(),
    "accessory.run_argv": accessory.run_argv(accessory.AccessoryRun(db(), "h1", "db.env")),
    "accessory.mkdir_argv": accessory.mkdir_argv("~/db/data", "700"),
    "details.inspect_all_argv": details.inspect_all_argv(),
    "proxy_claims.read_routes_argv": proxy_claims.read_routes_argv(),
    "setup.probe_argv": setup.probe_argv([80, 443]),
    "setup.install_docker_argv": setup.install_docker_argv(),
    # Not a host script: ERB's backticks, run here; the same checks apply.
    "erb.erb_command_argv": erb.erb_command_argv("git rev-parse HEAD", Path("/repo")),
}


# Findings looked at and kept on purpose: script -> {shellcheck code: why}.
ACCEPTED: dict[str, dict[str, str]] = {
    "drain.in_flight_old_argv": {
        "SC2046": "split on purpose: docker container names never contain blanks",
    },
    "running.running_containers_argv": {
        "SC2086": "split on purpose: one argument per container id (hex, never blank)",
    },
    "accessory.run_argv": {
        "SC2088": "on purpose: the case pattern matches a literal ~/ to replace it with $HOME",
    },
    "details.inspect_all_argv": {
        "SC2086": "split on purpose: one argument per container id (hex, never blank)",
    },
    "setup.probe_argv": {
        "SC1091": "the host's /etc/os-release is read there; shellcheck cannot follow it",
    },
    "boot_script.boot_argv": {
        "SC2174": "on purpose: only the env file's own directory gets mode 0700",
    },
    "files.install_from_stdin_argv": {
        "SC2174": "on purpose: only the file's own directory gets the mode (e.g. 0700 for env)",
    },
}


def script_of(argv: Sequence[str]) -> tuple[str, str]:
    """(shell, script text) of an argv that runs `sh -c SCRIPT` or `bash -c SCRIPT`."""
    for index, token in enumerate(argv[:-1]):
        shell = argv[index - 1].rsplit("/", 1)[-1] if index else ""
        if token == "-c" and shell in ("sh", "bash"):
            return shell, argv[index + 1]
    raise ValueError(f"not a shell script: {argv[:4]}")


def shellcheck(name: str, argv: Sequence[str]) -> str:
    """shellcheck's findings for one script (empty when clean); `sh` is checked as POSIX sh."""
    shell, script = script_of(argv)
    excluded = [f"--exclude={code}" for code in ACCEPTED.get(name, {})]
    done = subprocess.run(
        ["shellcheck", f"--shell={shell}", "--format=gcc", *excluded, "-"],
        input=script, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "".join(f"{name}: {line}\n" for line in done.stdout.splitlines())


def main() -> int:
    """Run shellcheck on every catalogued script; exit 1 listing the findings."""
    if shutil.which("shellcheck") is None:
        sys.stderr.write("shellcheck is not on PATH: run scripts/bootstrap-host (Debian package)\n")
        return 2
    findings = "".join(shellcheck(name, argv) for name, argv in SCRIPTS.items())
    sys.stdout.write(findings or f"shellcheck: {len(SCRIPTS)} host scripts clean\n")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
