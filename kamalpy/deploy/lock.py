"""The deploy lock on the primary host: acquire (optionally waiting), release, status."""

from __future__ import annotations

from kamalpy.commands import lock
from kamalpy.deploy.context import Context
from kamalpy.errors import LockHeldError
from kamalpy.executor.retry import poll_until


def status(ctx: Context, host: str) -> str | None:
    """The lock's details when held, else None."""
    result = ctx.executor.run(
        ctx.target(host), lock.status_argv(ctx.config.service, ctx.config.destination), check=False
    )
    return result.stdout.strip() or "(no details)" if result.ok else None


def acquire(ctx: Context, host: str, message: str, *, wait: float = 0) -> None:
    """Take the lock, or wait up to `wait` seconds for it; LockHeldError names the holder."""
    details = lock.details_text(
        performer=ctx.performer, recorded_at=ctx.recorded_at,
        version=ctx.config.version, message=message,
    )  # fmt: skip
    argv = lock.acquire_argv(ctx.config.service, ctx.config.destination, details)

    def try_once() -> bool:
        return ctx.executor.run(ctx.target(host), argv, check=False).ok

    if try_once():
        return
    if wait > 0:
        holder = status(ctx, host)
        ctx.console.info(
            f"  waiting up to {wait:.0f}s for the deploy lock held by: "
            f"{(holder or '').splitlines()[0] if holder else 'unknown'}"
        )
        if poll_until(try_once, interval=1, timeout=wait):
            return
    holder = status(ctx, host) or "(released meanwhile: retry)"
    raise LockHeldError(
        f"{host}: deploy lock {lock.lock_dir(ctx.config.service, ctx.config.destination)} "
        f"is held:\n    " + holder.replace("\n", "\n    "),
        hint="wait with --lock-wait SECONDS, or `kamalpy lock release` if it is stale",
    )


def release(ctx: Context, host: str) -> None:
    """Remove the lock."""
    ctx.executor.run(
        ctx.target(host), lock.release_argv(ctx.config.service, ctx.config.destination)
    )
