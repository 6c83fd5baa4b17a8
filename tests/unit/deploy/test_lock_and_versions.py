from __future__ import annotations

import pytest

from kamalpy.deploy import lock
from kamalpy.deploy.versions import current_version, previous_version, versions_on
from kamalpy.errors import ExitCode, LockHeldError
from kamalpy.executor.recording import RecordingExecutor
from tests.unit.deploy.test_deploy_flow import context


def test_held_lock_names_the_holder_and_exits_3() -> None:
    executor = RecordingExecutor()
    executor.respond(lambda argv: "kamalpy-lock" in argv and "mkdir" in argv[2], exit_status=1)
    executor.respond(
        lambda argv: "kamalpy-lock" in argv and "base64" in argv[2],
        stdout="Locked by: bob at 2026-01-01T00:00:00Z\nVersion: v7\nMessage: hotfix",
    )
    with pytest.raises(LockHeldError) as held:
        lock.acquire(context(executor), "10.0.0.1", "deploy v2")
    assert held.value.exit_code == ExitCode.LOCK_HELD
    assert "10.0.0.1: deploy lock .kamal/lock-hey is held" in held.value.message
    assert "Locked by: bob" in held.value.message and "Message: hotfix" in held.value.message
    assert held.value.hint is not None and "--lock-wait" in held.value.hint


def test_versions_are_container_names_without_the_role_prefix() -> None:
    executor = RecordingExecutor()
    names = "hey-web-v3\nhey-web-v2\nhey-web-v1_replaced_abc\nhey-web-v1\nother-web-v9\n"
    executor.respond(lambda argv: "status=running" in argv, stdout="hey-web-v2\n")
    executor.respond(("docker", "ps"), stdout=names)
    ctx = context(executor)
    assert versions_on(ctx, "10.0.0.1", "web") == ["v3", "v2", "v1"]
    assert current_version(ctx, "10.0.0.1", "web") == "v2"
    assert previous_version(ctx, "10.0.0.1", "web") == "v3"
