"""`setup` for many services: every host probed once, for the proxy ports any service needs."""

from __future__ import annotations

import itertools
from dataclasses import replace

from kamalpy.cli.output import Console
from kamalpy.commands import setup
from kamalpy.config.model import Configuration
from kamalpy.deploy.context import Context
from kamalpy.deploy.setup import check_services
from kamalpy.executor.recording import RecordingExecutor
from tests.unit.deploy.sample import HOSTS, sample_config


def context(executor: RecordingExecutor, config: Configuration) -> Context:
    ticks = itertools.count()
    return Context(
        config=config, executor=executor, console=Console(), clock=lambda: float(next(ticks)),
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=True,
    )  # fmt: skip


def _probed(executor: RecordingExecutor) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.target, c.argv[4:]) for c in executor.calls
            if c.argv[3:4] == ("kamalpy-setup-probe",)]  # fmt: skip


def test_each_host_of_every_service_is_probed_once_with_every_port_it_needs() -> None:
    executor = RecordingExecutor()
    web = sample_config()  # proxied on every host, port 80
    ssl_web = web.roles[0]
    assert ssl_web.proxy is not None
    secure = replace(
        web, service="pay",
        roles=(replace(ssl_web, hosts=HOSTS[:1], proxy=replace(ssl_web.proxy, ssl=True)),),
    )  # fmt: skip
    jobs = replace(web, service="jobs", roles=(replace(web.roles[1], hosts=("10.0.0.9",)),))
    contexts = [context(executor, c) for c in (web, secure, jobs)]
    check_services(contexts, None)
    assert sorted(_probed(executor)) == [
        ("10.0.0.1", ("80", "443")), ("10.0.0.2", ("80",)), ("10.0.0.3", ("80",)),
        ("10.0.0.9", ()),
    ]  # fmt: skip


def test_the_hosts_option_narrows_the_probe() -> None:
    executor = RecordingExecutor()
    check_services([context(executor, sample_config())], ["10.0.0.2"])
    assert [host for host, _ in _probed(executor)] == ["10.0.0.2"]
    assert setup.probe_argv((80,))[3] == "kamalpy-setup-probe"
