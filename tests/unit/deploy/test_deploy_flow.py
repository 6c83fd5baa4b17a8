from __future__ import annotations

import itertools

import pytest

from kamalpy.cli.output import Console
from kamalpy.commands import boot_script
from kamalpy.commands.app_scripts import network_create_argv
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.deploy.deploy import deploy
from kamalpy.errors import DeployFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import deploy_plan
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import HOSTS, sample_config


def context(executor: RecordingExecutor, *, dry_run: bool = True) -> Context:
    ticks = itertools.count()
    return Context(
        config=sample_config(), executor=executor, console=Console(),
        clock=lambda: float(next(ticks)), recorded_at="2026-01-01T00:00:00Z", performer="ann",
        dry_run=dry_run, secrets={"DB_PASSWORD": Sensitive("s3cret")},
    )  # fmt: skip


def kinds(executor: RecordingExecutor, host: str) -> list[str]:
    names = []
    for argv in executor.commands_for(host):
        if argv[:1] == ("timeout",):
            label = argv[5]
        elif argv[:2] in (("sh", "-c"), ("bash", "-c")) and len(argv) > 3:
            label = argv[3]
        else:
            label = " ".join(argv[:2])
        names.append(label)
    return names


def test_dry_run_walks_lock_boot_health_switch_drain_retire_audit_in_order() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    deploy(ctx, deploy_plan(ctx.config))
    primary = kinds(executor, HOSTS[0])
    # Other services' routes are read first (a clash stops the deploy before any change),
    # then preflight and network, before anything else.
    assert primary[:2] == ["kamalpy-routes", "sh -c"]
    assert primary.index("kamalpy-lock") < primary.index("kamalpy-boot")  # lock, then changes
    # The workers' boot (last on the primary) waits, retires and writes the audit line.
    order = ["kamalpy-boot", "kamalpy-health", "install -D", "mv -f", "kamalpy-drain",
             "kamalpy-retire", "kamalpy-boot", "kamalpy-lock"]  # fmt: skip
    at = 0
    for kind in order:  # each kind appears after the previous one
        at = primary.index(kind, at) + 1
    # the barrier: no host writes its route before every host ran its health check
    calls = [(c.target, c.argv) for c in executor.calls]
    last_health = max(i for i, (_, a) in enumerate(calls) if "kamalpy-health" in a)
    first_switch = min(i for i, (_, a) in enumerate(calls) if a[:2] == ("mv", "-f"))
    assert last_health < first_switch
    # Every host's last step carries the audit line: none is written on its own.
    assert "kamalpy-audit" not in primary
    audit = hostops.audit_argv(ctx, "Deployed hey version v2 (web, workers)")
    workers = deploy_plan(ctx.config).roles[1].hosts[0]
    exact = boot_script.boot_argv(workers.boot, env_file=workers.env_file, audit=audit)
    assert [a for h, a in calls if "kamalpy-boot" in a][-1] == exact
    others = [a for h in HOSTS[1:] for a in executor.commands_for(h) if "kamalpy-then" in a]
    assert [a[-len(audit) :] for a in others] == [audit, audit]
    assert [kinds(executor, h)[-1] for h in HOSTS[1:]] == ["kamalpy-then"] * 2


def test_env_files_are_written_by_each_boot_through_stdin() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    deploy(ctx, deploy_plan(ctx.config))
    boots = [c for c in executor.calls if "kamalpy-boot" in c.argv]
    assert len(boots) == len(HOSTS) + 1  # web on each host, workers on the primary
    for call in boots:
        assert ".kamal/apps/hey/env/roles/" in call.argv[6] and call.argv[6].endswith(".env")
        assert call.stdin_length == len("DB_PASSWORD=s3cret\n")
    assert not any("kamalpy-install" in c.argv for c in executor.calls)


def test_hosts_the_caller_prepared_skip_preflight_and_network_but_still_check_routes() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    deploy(ctx, deploy_plan(ctx.config), prepared=HOSTS[:1])
    assert network_create_argv() not in executor.commands_for(HOSTS[0])
    assert kinds(executor, HOSTS[0])[0] == "kamalpy-routes"  # a clash still stops the deploy
    assert network_create_argv() in executor.commands_for(HOSTS[1])


def test_secret_values_never_reach_argv() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    deploy(ctx, deploy_plan(ctx.config))
    assert not any("s3cret" in token for c in executor.calls for token in c.argv)


def test_unhealthy_release_is_removed_and_never_switched() -> None:
    executor = RecordingExecutor()
    executor.respond(
        lambda argv: argv[:1] == ("timeout",) and argv[5] == "kamalpy-health",
        stdout="HTTP/1.0 500 Internal",
        exit_status=1,
    )
    ctx = context(executor, dry_run=False)
    plan = deploy_plan(ctx.config)
    object.__setattr__(plan, "deploy_timeout", 0)
    with pytest.raises(DeployFailed) as failure:
        deploy(ctx, plan)
    assert "did not become healthy" in failure.value.message
    assert "last 50 log lines of hey-web-v2" in failure.value.message
    argvs = [c.argv for c in executor.calls]
    assert not any(a[:2] == ("mv", "-f") for a in argvs)
    assert sum(a == ("docker", "rm", "--force", "hey-web-v2") for a in argvs) == len(HOSTS)
    assert argvs[-1][3] == "kamalpy-lock" and "rm -rf" in argvs[-1][2]  # the lock is released
