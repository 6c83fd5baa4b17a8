"""Which versions of a role exist on a host: for rollback, `app version` and `--list`."""

from __future__ import annotations

from kamalpy.commands import app
from kamalpy.deploy.context import Context


def _strip(names: str, prefix: str) -> list[str]:
    versions = []
    for name in names.split():
        if name.startswith(prefix + "-") and "_replaced_" not in name:
            versions.append(name[len(prefix) + 1 :])
    return versions


def versions_on(ctx: Context, host: str, role: str, *, running_only: bool = False) -> list[str]:
    """The role's container versions on host, newest first (docker ps order)."""
    cfg = ctx.config
    argv = app.ps_names_argv(cfg.service, role, cfg.destination, running_only=running_only)
    out = ctx.executor.run(ctx.target(host), argv).stdout
    return list(dict.fromkeys(_strip(out, cfg.container_prefix(role))))


def current_version(ctx: Context, host: str, role: str) -> str | None:
    """The newest running version of the role on host, or None."""
    running = versions_on(ctx, host, role, running_only=True)
    return running[0] if running else None


def previous_version(ctx: Context, host: str, role: str) -> str | None:
    """The newest retained version that is not the one running now."""
    current = current_version(ctx, host, role)
    return next((v for v in versions_on(ctx, host, role) if v != current), None)
