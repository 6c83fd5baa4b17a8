"""The deploy lock on the primary host: acquire (waiting, or taking over a stale one), heartbeat
while held, release only our own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kamalpy.commands import lock
from kamalpy.deploy.context import Context
from kamalpy.errors import KamalpyError, LockHeldError
from kamalpy.executor import localproc, periodic
from kamalpy.executor.retry import poll_until

# A holder on another machine is judged gone when its heartbeat is this old; it beats 4x as often.
DEFAULT_STALE_AFTER = 120.0


@dataclass(frozen=True)
class Taken:
    """A lock this run holds: where, its details as written, and what it replaced."""

    host: str
    details: str
    took_over: str | None = None  # why the lock it replaced was stale, with who held it


def status(ctx: Context, host: str) -> str | None:
    """The lock's details (and heartbeat age) when held, else None."""
    result = ctx.executor.run(
        ctx.target(host), lock.status_argv(ctx.config.service, ctx.config.destination), check=False
    )
    return result.stdout.strip() or "(no details)" if result.ok else None


def acquire(
    ctx: Context,
    host: str,
    message: str,
    *,
    wait: float = 0,
    stale_after: float = DEFAULT_STALE_AFTER,
    manual: bool = False,
) -> Taken:
    """Take the lock (a stale one is taken over), or wait up to `wait` seconds for it.

    `manual` (the `lock acquire` command) records no holder process: such a lock is held until
    someone releases it. LockHeldError names the live holder.
    """
    cfg = ctx.config
    holder = None if manual else ctx.holder
    details = lock.details_text(
        performer=ctx.performer, recorded_at=ctx.recorded_at,
        version=cfg.version, message=message, holder=holder,
    )  # fmt: skip
    argv = lock.acquire_argv(cfg.service, cfg.destination, details)
    took_over: list[str] = []

    def try_once() -> bool:
        ctx.cancel.check()
        if ctx.executor.run(ctx.target(host), argv, check=False).ok:
            return True
        reason = _take_over_if_stale(ctx, host, details, stale_after) if holder else None
        if reason is not None:
            took_over.append(reason)
        return reason is not None

    if not try_once() and not (wait > 0 and _wait_for(ctx, host, wait, try_once)):
        holder_text = status(ctx, host) or "(released meanwhile: retry)"
        raise LockHeldError(
            f"{host}: deploy lock {lock.lock_dir(cfg.service, cfg.destination)} "
            f"is held:\n    " + holder_text.replace("\n", "\n    "),
            hint="wait with --lock-wait SECONDS; a lock whose holder is gone is taken over by "
            "itself, `kamalpy lock release` frees any other",
        )
    return Taken(host, details, took_over[0] if took_over else None)


def _wait_for(ctx: Context, host: str, wait: float, try_once: Callable[[], bool]) -> bool:
    held = status(ctx, host)
    ctx.console.info(
        f"  waiting up to {wait:.0f}s for the deploy lock held by: "
        f"{held.splitlines()[0] if held else 'unknown'}"
    )
    return poll_until(try_once, interval=1, timeout=wait)


def _take_over_if_stale(ctx: Context, host: str, details: str, stale_after: float) -> str | None:
    """Replace the lock if its holder is provably gone or silent too long; why, or None."""
    assert ctx.holder is not None
    cfg = ctx.config
    seen_run = ctx.executor.run(
        ctx.target(host), lock.inspect_argv(cfg.service, cfg.destination), check=False
    )
    if not seen_run.ok:
        return None  # released meanwhile: the next mkdir wins it the ordinary way
    seen = lock.parse_inspect(seen_run.stdout)
    reason = lock.stale_reason(
        seen.details, seen.heartbeat_age, ctx.holder,
        running=localproc.running, stale_after=stale_after,
    )  # fmt: skip
    if reason is None:
        return None
    takeover = lock.takeover_argv(cfg.service, cfg.destination, details, seen.stored)
    if not ctx.executor.run(ctx.target(host), takeover, check=False).ok:
        return None  # it changed hands meanwhile: whoever holds it now is alive
    who = seen.details.splitlines()[0] if seen.details else "unknown"
    text = f"{reason} ({who})"
    ctx.console.info(f"{host}: took over a stale deploy lock: {text}")
    return text


@contextmanager
def heartbeat(ctx: Context, taken: Taken, stale_after: float) -> Iterator[None]:
    """While the block runs, touch the lock's heartbeat every quarter of `stale_after`."""
    if ctx.dry_run:
        yield
        return
    argv = lock.heartbeat_argv(ctx.config.service, ctx.config.destination, taken.details)
    target = ctx.target(taken.host)

    def beat() -> None:
        ctx.executor.run(target, argv, check=False)

    with periodic.every(max(stale_after / 4, 0.5), beat):
        yield


def release(ctx: Context, host: str) -> bool:
    """Remove the lock whoever holds it; True when there was one."""
    cfg = ctx.config
    result = ctx.executor.run(ctx.target(host), lock.release_argv(cfg.service, cfg.destination))
    return result.stdout.strip() != "none"


def release_own(ctx: Context, taken: Taken) -> None:
    """Remove the lock if it is still ours; a failure is a warning (the lock heals by itself)."""
    cfg = ctx.config
    argv = lock.release_own_argv(cfg.service, cfg.destination, taken.details)
    try:
        with ctx.cancel.shield():
            ctx.executor.run(ctx.target(taken.host), argv)
    except KamalpyError as error:
        ctx.console.warn(
            f"{taken.host}: deploy lock not released ({error.message.splitlines()[0]}); "
            "the next deploy takes it over once this process is gone"
        )
