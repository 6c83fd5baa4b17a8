"""Pure helpers for Kamal-compatible hooks: `.kamal/hooks/<name>` run locally with KAMAL_* env."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

HOOK_NAMES: tuple[str, ...] = (
    "docker-setup",
    "pre-connect",
    "pre-build",
    "pre-deploy",
    "post-deploy",
    "pre-app-boot",
    "post-app-boot",
    "pre-proxy-reboot",
    "post-proxy-reboot",
)


def hook_env(
    *,
    recorded_at: str,
    performer: str,
    service: str,
    version: str,
    hosts: Sequence[str],
    command: str,
    subcommand: str | None = None,
    destination: str | None = None,
    roles: Sequence[str] = (),
    runtime: float | None = None,
    lock: bool | None = None,
) -> dict[str, str]:
    """The KAMAL_* variables a hook sees, named and formatted as Kamal passes them."""
    env = {
        "KAMAL_RECORDED_AT": recorded_at,
        "KAMAL_PERFORMER": performer,
        "KAMAL_SERVICE": service,
        "KAMAL_VERSION": version,
        "KAMAL_SERVICE_VERSION": f"{service}@{version[:7]}",
        "KAMAL_HOSTS": ",".join(hosts),
        "KAMAL_COMMAND": command,
    }
    optional: Mapping[str, str | None] = {
        "KAMAL_SUBCOMMAND": subcommand,
        "KAMAL_DESTINATION": destination,
        "KAMAL_ROLES": ",".join(roles) if roles else None,
        "KAMAL_RUNTIME": f"{runtime:.0f}" if runtime is not None else None,
        "KAMAL_LOCK": ("true" if lock else "false") if lock is not None else None,
    }
    env.update({k: v for k, v in optional.items() if v is not None})
    return env
