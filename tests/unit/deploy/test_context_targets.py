"""The deploy context makes hosts listed in x-kamalpy.local_hosts local targets (no ssh)."""

from __future__ import annotations

from kamalpy.config.model import KamalpyExtras
from kamalpy.deploy.context import Context
from kamalpy.executor.recording import RecordingExecutor
from tests.support.configs import make_config, make_role


def _context(local_hosts: tuple[str, ...]) -> Context:
    config = make_config(
        roles=(make_role(hosts=("localhost", "h2")),),
        extras=KamalpyExtras(local_hosts=local_hosts),
    )
    return Context(config, RecordingExecutor(), console=None, clock=lambda: 0.0,  # type: ignore[arg-type]
                   recorded_at="t", performer="p")  # fmt: skip


def test_listed_host_is_a_local_target_named_as_written() -> None:
    ctx = _context(("localhost",))
    target = ctx.target("localhost")
    assert target.is_local_host and target.name == "localhost"
    assert not ctx.target("h2").is_local


def test_without_the_setting_every_host_goes_over_ssh() -> None:
    ctx = _context(())
    assert not ctx.target("localhost").is_local
