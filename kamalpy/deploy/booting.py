"""Booting a role's new container on a host, and knowing when it is ready to take over.

The boot is one round trip that also writes the role's env file (through stdin) and retags a
reused image; for a role without a proxy it also waits host-side until the container is ready,
then stops the old ones and appends the audit line (`commands.boot_script`). A role behind the
proxy is health-checked from here, attempt by attempt, as its history goes into the error.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from kamalpy.commands import boot_script
from kamalpy.commands.boot_script import BootAnswer, Retag
from kamalpy.deploy.context import Context
from kamalpy.deploy.env_files import env_file_body
from kamalpy.deploy.hostops import run
from kamalpy.errors import CommandFailed, DeployFailed
from kamalpy.executor.base import Completed, check_completed
from kamalpy.executor.bounds import bounds_from
from kamalpy.executor.retry import poll_until
from kamalpy.plan import DeployPlan, HostStep

Argv = tuple[str, ...]


@dataclass(frozen=True)
class Extras:
    """What each boot of this deploy also does in its round trip."""

    env_files: bool = True  # write the role's env file (not when a pre-deploy hook needs it first)
    retag: Retag | None = None  # reuse an image built for the same inputs under this version


@dataclass(frozen=True)
class Booted:
    """How a boot went: `boot`, `reuse` or `started`, and whether the audit line was written."""

    outcome: str
    audited: bool = False


def boot(
    ctx: Context, plan: DeployPlan, step: HostStep, extras: Extras, audit: Argv | None = None
) -> Booted:
    """Boot the new container beside the old; no proxy: also wait ready, retire, `audit`.

    Raises CommandFailed when the boot fails, DeployFailed when the container never gets ready.
    """
    env_file = step.env_file if extras.env_files else None
    argv = boot_script.boot_argv(step.boot, env_file=env_file, retag=extras.retag, audit=audit)
    stdin = env_file_body(step, ctx.secrets) if env_file else None
    answer = _answer(_run(ctx, step, argv, stdin, retag=extras.retag is not None))
    ready = step.boot.ready
    if ready is None:
        return Booted(answer.outcome or "boot")
    if ctx.dry_run:  # the printed boot carries the audit line: not printed again after
        return Booted("boot", audited=audit is not None)
    waited = 0.0
    while answer.verdict == "pending":  # the host waited its budget: ask again (a stop is seen)
        waited += answer.waited
        left = ready.waited(waited)
        resume = boot_script.boot_argv(step.boot, resume=True, ready=left, audit=audit)
        answer = _answer(_run(ctx, step, resume, None, retag=False))
    if answer.verdict == "stopped":
        raise DeployFailed(f"{step.host}: {step.container} stopped: {answer.stopped}")
    if answer.verdict != "ready":
        raise DeployFailed(
            f"{step.host}: {step.container} did not become healthy within "
            f"{plan.deploy_timeout}s\n" + history_text([])
        )
    _check_retired(ctx, step.host, answer, step.retire)
    return Booted(answer.outcome or "boot", audited=_audited(ctx, step.host, answer, audit))


def _run(
    ctx: Context, step: HostStep, argv: Argv, stdin: bytes | None, *, retag: bool
) -> Completed:
    ctx.cancel.check()
    bounds = bounds_from(ctx.config.extras.command_timeouts)
    ready = step.boot.ready
    # A retag may pull; else quick work, plus the host-side wait and the old ones' stop.
    wait = ready.budget + ctx.config.drain_timeout if ready else 0
    bound = None if retag else bounds.quick + wait
    result = ctx.executor.run(ctx.target(step.host), argv, stdin=stdin, check=False, timeout=bound)
    return check_completed(result)


def _answer(result: Completed) -> BootAnswer:
    return boot_script.read_answer(result.stdout, result.stderr)


def _check_retired(ctx: Context, host: str, answer: BootAnswer, retire: Argv | None) -> None:
    """Raise as the retire itself would have when it failed (its status, its output)."""
    if retire is None or ctx.dry_run:
        return
    status = answer.then[0] if answer.then else None
    if status == 0:
        return
    raise CommandFailed(
        host=host,
        command=shlex.join(retire),
        exit_status=1 if status is None else status,
        output_tail="\n".join(answer.errors.strip().splitlines()[-20:]),
    )


def _audited(ctx: Context, host: str, answer: BootAnswer, audit: Argv | None) -> bool:
    """True when the folded audit line was written; a failure is a warning, as on its own."""
    if audit is None or ctx.dry_run:
        return audit is not None
    if len(answer.then) >= 2 and answer.then[1] == 0:
        return True
    ctx.console.warn(f"audit log not written on {host}: {answer.errors.strip() or 'no answer'}")
    return True  # tried: the deploy's outcome does not depend on it


def retire_old(ctx: Context, host: str, retire: Argv, audit: Argv | None) -> bool:
    """Stop the old containers and prune (+ the audit line, one round trip); True if audited."""
    if audit is None:
        run(ctx, host, retire)
        return False
    result = run(ctx, host, boot_script.then_argv([retire, audit]), check=False)
    answer = _answer(check_completed(result))
    _check_retired(ctx, host, answer, retire)
    return _audited(ctx, host, answer, audit)


def wait_healthy(ctx: Context, plan: DeployPlan, step: HostStep) -> None:
    """Poll the proxied container's health check until it answers 2xx; raise if it never does."""
    health = step.health
    if health is None:
        return
    if ctx.dry_run:
        run(ctx, step.host, health, check=False)
        return
    history: list[str] = []
    started = ctx.clock()

    def attempt() -> bool:
        result = run(ctx, step.host, health, check=False)
        answer = (result.stdout.strip() or result.stderr.strip() or "no answer").splitlines()
        history.append(f"{ctx.clock() - started:.1f}s {answer[-1]}")
        return result.ok

    ok = poll_until(
        attempt,
        interval=plan.health_interval,
        timeout=plan.deploy_timeout,
        attempt_timeout=plan.health_timeout + 5,
    )
    if not ok:
        raise DeployFailed(
            f"{step.host}: {step.container} did not become healthy within "
            f"{plan.deploy_timeout}s\n" + history_text(history)
        )


def history_text(history: list[str]) -> str:
    """Health attempts, repeated answers folded: `0.0s-7.1s HTTP/1.1 404 Not Found (x8)`."""
    folded: list[tuple[str, str, str, int]] = []
    for entry in history:
        at, _, answer = entry.partition(" ")
        if folded and folded[-1][2] == answer:
            first, _, _, count = folded[-1]
            folded[-1] = (first, at, answer, count + 1)
        else:
            folded.append((at, at, answer, 1))
    lines = [
        f"    health check {a}-{b} {text} (x{n})" if n > 1 else f"    health check {a} {text}"
        for a, b, text, n in folded
    ]
    return "\n".join(lines) if lines else "    (no health check completed)"
