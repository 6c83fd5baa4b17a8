"""proxy reboot: remove, run, poll the ping until the new proxy answers; the gap is reported."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from kamalpy.commands import proxy, proxy_config
from kamalpy.deploy import proxy_ops
from kamalpy.deploy.deploy import deploy
from kamalpy.errors import DeployFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import deploy_plan
from tests.unit.deploy.test_deploy_flow import context

PING = ("timeout", "2", "bash", "-c")


def test_reboot_replaces_the_container_then_waits_for_the_ping() -> None:
    executor = RecordingExecutor()
    executor.respond(lambda argv: argv[:4] == PING, stdout="HTTP/1.0 200 OK\r\n\r\nOK")
    ctx = context(executor, dry_run=False)
    plan = deploy_plan(ctx.config)
    said = proxy_ops.reboot(ctx, plan.proxy, "10.0.0.1")
    argvs = executor.commands_for("10.0.0.1")
    assert argvs[:3] == [
        proxy.mkdir_argv(),
        proxy.remove_argv(),
        proxy_config.boot_argv(plan.proxy),
    ]
    assert argvs[3][:4] == PING and argvs[3][-1] == "/ping"
    assert said.startswith("rebooted 127.0.0.1:5000/traefik:v3: not answering for ")


def test_a_proxy_that_never_answers_fails_naming_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy_ops, "PING_TIMEOUT", 0.1)
    executor = RecordingExecutor()
    executor.respond(lambda argv: argv[:4] == PING, stdout="", exit_status=1)
    ctx = context(executor, dry_run=False)
    with pytest.raises(DeployFailed, match=r"10\.0\.0\.2: the new proxy did not answer"):
        proxy_ops.reboot(ctx, deploy_plan(ctx.config).proxy, "10.0.0.2")


def _running_proxy(executor: RecordingExecutor, settings: proxy.ProxySettings) -> None:
    labels = {proxy_config.OWNER_LABEL: "traefik",
              proxy_config.CONFIG_LABEL: proxy_config.label_value(settings)}  # fmt: skip
    executor.respond(proxy_config.inspect_argv(), stdout=f"running {json.dumps(labels)}\n")


def _boots(executor: RecordingExecutor, host: str) -> list[tuple[str, ...]]:
    return [
        a for a in executor.commands_for(host) if a[:4] == ("sh", "-c", a[2], "kamalpy-proxy-boot")
    ]


def test_a_deploy_leaves_a_proxy_running_as_wanted_alone() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    plan = deploy_plan(ctx.config)
    _running_proxy(executor, plan.proxy)
    deploy(ctx, plan)
    assert all(_boots(executor, host) == [] for host in plan.proxy_hosts)
    assert not any(a == proxy.remove_argv() for h in plan.hosts for a in executor.commands_for(h))


def test_a_deploy_replaces_a_proxy_whose_configuration_changed_host_by_host(
    capsys: pytest.CaptureFixture[str],
) -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    plan = deploy_plan(ctx.config)
    _running_proxy(executor, replace(plan.proxy, image="traefik:v2"))
    deploy(ctx, plan)
    for host in plan.proxy_hosts:
        assert _boots(executor, host) == [proxy_config.boot_argv(plan.proxy)]
    order = [c.target for c in executor.calls if c.argv == proxy.remove_argv()]
    assert order == list(plan.proxy_hosts)  # one after the other, in the plan's order
    out = capsys.readouterr().out
    assert f'{plan.proxy_hosts[0]}: proxy reconfigured (image "traefik:v2" -> ' in out
