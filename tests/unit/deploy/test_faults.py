"""Faults the deploy flow heals: stale locks, a host lost after the barrier, a stop request."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from kamalpy.commands import lock as lock_commands
from kamalpy.commands.lock import Holder
from kamalpy.deploy import lock
from kamalpy.deploy.deploy import deploy
from kamalpy.errors import DeployFailed, ExitCode, Interrupted, LockHeldError
from kamalpy.executor.fanout import HostsFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import deploy_plan
from tests.unit.deploy.sample import HOSTS
from tests.unit.deploy.test_deploy_flow import context

ME = Holder("ann", "ci-1", 4242, "9000", "boot-a", "ns", "kamalpy deploy")
DEAD = Holder("bob", "ci-1", 77, "500", "boot-a", "ns", "kamalpy deploy --version v1")


def _is(script_part: str) -> Callable[[tuple[str, ...]], bool]:
    return lambda argv: "kamalpy-lock" in argv and script_part in argv[2]


def held_by(executor: RecordingExecutor, who: Holder, age: int = 1) -> None:
    text = lock_commands.details_text(
        performer=who.user, recorded_at="T", version="v1", message="deploy v1", holder=who
    )
    executor.respond(_is('mkdir "$1" &&'), exit_status=1)  # the plain mkdir loses
    executor.respond(_is("head -n 1"), stdout=f"{lock_commands.encode(text)}\n\n{age}\n")
    executor.respond(_is("base64 -d"), stdout=text)


def test_lock_of_a_process_gone_from_this_machine_is_taken_over_and_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executor = RecordingExecutor()
    held_by(executor, DEAD)
    monkeypatch.setattr(lock.localproc, "running", lambda pid, started: False)
    ctx = context(executor)
    ctx.holder = ME
    deploy(ctx, deploy_plan(ctx.config))
    scripts = [c.argv for c in executor.calls if "kamalpy-lock" in c.argv]
    takeover = [a for a in scripts if "takeover" in a[2]]
    assert len(takeover) == 1 and takeover[0][-1] == lock_commands.encode(
        lock_commands.details_text(
            performer="bob", recorded_at="T", version="v1", message="deploy v1", holder=DEAD
        )
    )  # only the lock judged stale is replaced
    audits = [a for a in (c.argv for c in executor.calls) if "kamalpy-audit" in a]
    assert "Took over a stale deploy lock: pid 77 on ci-1 is gone" in " ".join(audits[0])


def test_lock_of_a_live_holder_still_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    executor = RecordingExecutor()
    held_by(executor, DEAD)
    monkeypatch.setattr(lock.localproc, "running", lambda pid, started: True)
    ctx = context(executor)
    ctx.holder = ME
    with pytest.raises(LockHeldError) as held:
        deploy(ctx, deploy_plan(ctx.config))
    assert held.value.exit_code == ExitCode.LOCK_HELD and "Locked by: bob" in held.value.message
    assert not any("takeover" in c.argv[2] for c in executor.calls if "kamalpy-lock" in c.argv)


def test_silent_holder_elsewhere_is_stale_after_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    executor = RecordingExecutor()
    held_by(executor, Holder("bob", "laptop", 77, "500", "boot-x", "ns", "k"), age=31)
    ctx = context(executor)
    ctx.holder = ME
    taken = lock.acquire(ctx, HOSTS[0], "deploy v2", stale_after=30)
    assert taken.took_over is not None and "no heartbeat for 31s" in taken.took_over
    executor2 = RecordingExecutor()
    held_by(executor2, Holder("bob", "laptop", 77, "500", "boot-x", "ns", "k"), age=29)
    ctx2 = context(executor2)
    ctx2.holder = ME
    with pytest.raises(LockHeldError):
        lock.acquire(ctx2, HOSTS[0], "deploy v2", stale_after=30)


OLD_ROUTE = b"""# kamalpy: hey-web -> hey-web-v1 (version v1)
http:
  services:
    hey-web:
      loadBalancer:
        servers:
        - url: http://hey-web-v1:80
"""


def switch_fails_on(executor: RecordingExecutor, host: str) -> None:
    executor.respond(("cat", "--"), stdout=OLD_ROUTE.decode())
    executor.respond(
        lambda argv: argv[0] == "install" and "hey-web.v2" in " ".join(argv),
        target=host, exit_status=255, stderr="connection lost", times=1,
    )  # fmt: skip


def _uploads(executor: RecordingExecutor) -> list[tuple[str, int | None]]:
    return [(c.target, c.stdin_length) for c in executor.calls if c.kind == "upload"]


def test_host_failing_after_the_barrier_switches_the_others_back() -> None:
    executor = RecordingExecutor()
    switch_fails_on(executor, HOSTS[1])
    ctx = context(executor)
    with pytest.raises(DeployFailed) as failed:
        deploy(ctx, deploy_plan(ctx.config))
    text = failed.value.message
    assert f"{HOSTS[1]}: command exited 255" in text
    assert f"web: switched {HOSTS[0]}, {HOSTS[2]} back to the previous version: nothing" in text
    restored = [(t, n) for t, n in _uploads(executor) if n == len(OLD_ROUTE)]
    assert sorted(t for t, _ in restored) == [HOSTS[0], HOSTS[2]]
    argvs = [c.argv for c in executor.calls]
    assert not any("kamalpy-retire" in a for a in argvs)  # old containers keep running


def test_no_switch_back_keeps_todays_behaviour() -> None:
    executor = RecordingExecutor()
    switch_fails_on(executor, HOSTS[1])
    ctx = context(executor)
    with pytest.raises(HostsFailed):
        deploy(ctx, deploy_plan(ctx.config), switch_back=False)
    assert not any(n == len(OLD_ROUTE) for _, n in _uploads(executor))


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)],
)
def test_stop_during_health_checks_removes_new_containers_and_releases_the_lock(
    signum: int, code: int
) -> None:
    executor = RecordingExecutor()
    ctx = context(executor)

    def health_then_signal(argv: tuple[str, ...]) -> bool:
        if argv[:1] == ("timeout",) and argv[5] == "kamalpy-health":
            ctx.cancel.request(signum)
        return False

    executor.respond(health_then_signal)
    with pytest.raises(Interrupted) as stopped:
        deploy(ctx, deploy_plan(ctx.config))
    assert stopped.value.exit_code == code
    assert "lock released" in stopped.value.message
    argvs = [c.argv for c in executor.calls]
    removed = [
        c.target for c in executor.calls if c.argv == ("docker", "rm", "--force", "hey-web-v2")
    ]
    booted = [c.target for c in executor.calls if "kamalpy-boot" in c.argv]
    assert booted and sorted(removed) == sorted(booted)  # hosts not yet booted never start
    assert not any(a[:2] == ("mv", "-f") for a in argvs)  # never switched
    assert argvs[-1][3] == "kamalpy-lock" and "rm -rf" in argvs[-1][2]
    assert ctx.cancel.request(signum) is False  # a second signal is ignored


def test_stop_on_the_last_health_check_still_abandons_before_the_switch() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    health_calls: list[str] = []

    def last_health_then_signal(argv: tuple[str, ...]) -> bool:
        if argv[:1] == ("timeout",) and argv[5] == "kamalpy-health":
            health_calls.append(argv[5])
            if len(health_calls) == len(HOSTS):  # every host healthy: the barrier is open
                ctx.cancel.request(signal.SIGTERM)
        return False

    executor.respond(last_health_then_signal)
    with pytest.raises(Interrupted) as stopped:
        deploy(ctx, deploy_plan(ctx.config))
    assert stopped.value.exit_code == 143
    argvs = [c.argv for c in executor.calls]
    assert not any(a[:2] == ("mv", "-f") for a in argvs)  # never switched
    removed = [c.target for c in executor.calls if c.argv[:3] == ("docker", "rm", "--force")]
    assert sorted(removed) == sorted(HOSTS)


def test_read_only_answers_are_emitted_as_each_host_answers_then_the_lost_are_named() -> None:
    from kamalpy.deploy import app_ops
    from kamalpy.errors import HostUnreachable

    executor = RecordingExecutor()

    def lost(argv: tuple[str, ...]) -> bool:
        raise HostUnreachable(HOSTS[1], "Connection timed out")

    executor.respond(lost, target=HOSTS[1])  # the first matching answer wins
    executor.respond(("docker", "ps"), stdout="hey-web-v2\n")
    ctx = context(executor)
    emitted: list[str] = []
    ctx.emit = emitted.append
    with pytest.raises(HostsFailed) as failed:
        app_ops.version(ctx, app_ops.Selection(roles=["web"]))
    assert sorted(emitted) == [f"{HOSTS[0]} (web): v2", f"{HOSTS[2]} (web): v2"]
    assert f"{HOSTS[1]}: unreachable over ssh" in failed.value.message
