"""Kamal-compatible hooks: `<hooks_path>/<name>` run on this machine with KAMAL_* variables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kamalpy.commands.hooks import hook_env
from kamalpy.deploy.context import Context
from kamalpy.errors import DeployFailed
from kamalpy.executor.base import LOCAL


def hook_path(ctx: Context, name: str) -> Path:
    """Where the hook lives: `hooks_path` relative to the service root."""
    return ctx.config.root / ctx.config.hooks_path / name


def has_hook(ctx: Context, name: str) -> bool:
    """True when the hook exists and is executable (else running it does nothing)."""
    path = hook_path(ctx, name)
    return path.is_file() and bool(path.stat().st_mode & 0o111)


def run_hook(
    ctx: Context,
    name: str,
    *,
    hosts: Sequence[str],
    roles: Sequence[str] = (),
    runtime: float | None = None,
) -> None:
    """Run the hook when it exists and is executable; a non-zero exit stops the command."""
    if not has_hook(ctx, name):
        return
    path = hook_path(ctx, name)
    env = dict(ctx.hooks_env)
    env.update(hook_env(
        recorded_at=ctx.recorded_at, performer=ctx.performer, service=ctx.config.service,
        version=ctx.config.version, hosts=hosts, command=ctx.command,
        destination=ctx.config.destination, roles=roles, runtime=runtime,
    ))  # fmt: skip
    start = ctx.clock()
    result = ctx.executor.run(LOCAL, (str(path),), check=False, env=env)
    ctx.console.step("local", f"hook {name}", ctx.clock() - start, ok=result.ok)
    if not result.ok:
        tail = (result.stdout + result.stderr).strip()
        raise DeployFailed(
            f"hook {name} exited {result.exit_status}" + (f":\n{tail}" if tail else ""),
            hint=f"fix or remove {path}",
        )
