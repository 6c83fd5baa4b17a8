"""proxy reboot: remove, run, poll the ping until the new proxy answers; the gap is reported."""

from __future__ import annotations

import pytest

from kamalpy.commands import proxy
from kamalpy.deploy import proxy_ops
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
    said = proxy_ops.reboot(ctx, plan, "10.0.0.1")
    argvs = executor.commands_for("10.0.0.1")
    assert argvs[:3] == [proxy.mkdir_argv(), proxy.remove_argv(), proxy.run_argv(plan.proxy)]
    assert argvs[3][:4] == PING and argvs[3][-1] == "/ping"
    assert said.startswith("rebooted 127.0.0.1:5000/traefik:v3: not answering for ")


def test_a_proxy_that_never_answers_fails_naming_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy_ops, "PING_TIMEOUT", 0.1)
    executor = RecordingExecutor()
    executor.respond(lambda argv: argv[:4] == PING, stdout="", exit_status=1)
    ctx = context(executor, dry_run=False)
    with pytest.raises(DeployFailed, match=r"10\.0\.0\.2: the new proxy did not answer"):
        proxy_ops.reboot(ctx, deploy_plan(ctx.config), "10.0.0.2")
