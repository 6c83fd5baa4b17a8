from __future__ import annotations

import dataclasses
import itertools
import threading

import pytest

from kamalpy.cli.deploy_cmd import _deliver
from kamalpy.cli.output import Console
from kamalpy.config.model import Registry
from kamalpy.deploy.context import Context
from kamalpy.executor.fanout import HostsFailed
from kamalpy.executor.recording import RecordingExecutor
from tests.unit.deploy.sample import HOSTS, sample_config


def context(executor: RecordingExecutor) -> Context:
    ticks = itertools.count()
    config = dataclasses.replace(sample_config(), registry=Registry(server="registry.example"))
    return Context(
        config=config, executor=executor, console=Console(),
        clock=lambda: float(next(ticks)), recorded_at="2026-01-01T00:00:00Z", performer="ann",
        dry_run=False, secrets={},
    )  # fmt: skip


def test_each_host_pulls_then_tags_latest() -> None:
    executor = RecordingExecutor()
    _deliver(context(executor), list(HOSTS), via_ssh=False)
    for host in HOSTS:
        kinds = [argv[:2] for argv in executor.commands_for(host)]
        assert kinds == [("docker", "pull"), ("docker", "image"), ("docker", "tag")]


def test_a_host_whose_pull_fails_is_named_and_never_tagged() -> None:
    executor = RecordingExecutor()
    executor.respond(("docker", "pull"), target=HOSTS[1], stderr="manifest unknown", exit_status=1)
    with pytest.raises(HostsFailed) as failure:
        _deliver(context(executor), list(HOSTS), via_ssh=False)
    assert HOSTS[1] in failure.value.message and "manifest unknown" in failure.value.message
    assert ("docker", "tag") not in [argv[:2] for argv in executor.commands_for(HOSTS[1])]


def test_a_host_tags_without_waiting_for_a_slower_hosts_pull() -> None:
    first_tagged = threading.Event()
    tagged_during_pull: list[bool] = []

    def watch(host: str, argv: tuple[str, ...]) -> None:  # runs outside the recorder's lock
        if host == HOSTS[0] and argv[:2] == ("docker", "tag"):
            first_tagged.set()
        if host == HOSTS[1] and argv[:2] == ("docker", "pull"):  # a slow pull on the 2nd host
            tagged_during_pull.append(first_tagged.wait(timeout=3))

    _deliver(context(RecordingExecutor(on_command=watch)), list(HOSTS), via_ssh=False)
    assert tagged_during_pull == [True]
