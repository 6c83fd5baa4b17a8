"""A monorepo deploy logs in and prepares each host once for all its services, not once each."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kamalpy.cli.output import Console
from kamalpy.commands.app_scripts import network_create_argv
from kamalpy.commands.registry import login_argv
from kamalpy.config.model import Credential, Registry
from kamalpy.deploy.context import Context
from kamalpy.deploy.fleet_hosts import Prepared, login_once, prepare_hosts
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import DeployPlan, deploy_plan
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import HOSTS, sample_config

LOGIN = login_argv("127.0.0.1:5000", "bob")


def service(executor: RecordingExecutor, name: str, password: str) -> tuple[Context, DeployPlan]:
    registry = Registry("127.0.0.1:5000", Credential(secret="USER"), Credential(secret="PASS"))
    config = replace(sample_config(), service=name, registry=registry)
    ctx = Context(
        config=config, executor=executor, console=Console(), clock=lambda: 0.0,
        recorded_at="2026-01-01T00:00:00Z", performer="ann",
        secrets={"USER": Sensitive("bob"), "PASS": Sensitive(password)},
    )  # fmt: skip
    return ctx, deploy_plan(config)


def count(executor: RecordingExecutor, host: str, argv: tuple[str, ...]) -> int:
    return executor.commands_for(host).count(argv)


@pytest.mark.parametrize(
    ("passwords", "logins"),
    [
        (["pw", "pw", "pw"], 1),  # one registry, same credentials: one login per host
        (["pw", "other", "pw"], 2),  # other credentials: their own login too
    ],
)
def test_each_host_is_logged_in_per_credentials_and_prepared_once(
    passwords: list[str], logins: int
) -> None:
    executor = RecordingExecutor()
    services = [service(executor, f"s{n}", pw) for n, pw in enumerate(passwords)]
    prepared = prepare_hosts(services)
    for host in HOSTS:
        assert count(executor, host, LOGIN) == logins
        assert count(executor, host, network_create_argv()) == 1
    assert prepared.hosts == frozenset(HOSTS)
    assert len(prepared.logins) == logins * len(HOSTS)


def test_a_service_logs_in_again_only_where_the_run_did_not_with_its_credentials() -> None:
    executor = RecordingExecutor()
    ctx, _ = service(executor, "a", "pw")
    other, _ = service(executor, "b", "other")
    prepared = prepare_hosts([service(executor, "c", "pw")])
    before = len(executor.calls)
    login_once(ctx, prepared, HOSTS[0], via_ssh=False)
    assert len(executor.calls) == before  # same registry and credentials: done already
    login_once(other, prepared, HOSTS[0], via_ssh=False)
    login_once(ctx, Prepared(), HOSTS[0], via_ssh=False)
    assert count(executor, HOSTS[0], LOGIN) == 3


def test_a_host_that_failed_its_preparation_is_left_to_each_service() -> None:
    executor = RecordingExecutor()
    executor.respond(network_create_argv(), exit_status=1, stderr="no docker", target=HOSTS[1])
    executor.respond(LOGIN, exit_status=1, stderr="denied", target=HOSTS[2])
    prepared = prepare_hosts([service(executor, "a", "pw"), service(executor, "b", "pw")])
    assert prepared.hosts == frozenset({HOSTS[0], HOSTS[2]})
    assert {host for host, _ in prepared.logins} == {HOSTS[0], HOSTS[1]}
