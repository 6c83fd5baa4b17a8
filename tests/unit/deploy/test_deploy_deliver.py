from __future__ import annotations

import dataclasses
import itertools
import threading
from functools import partial
from pathlib import Path

import pytest

from kamalpy.cli.output import Console
from kamalpy.commands.docker_build import pull_checked_argv
from kamalpy.config.model import Registry
from kamalpy.deploy.context import Context
from kamalpy.deploy.delivery import pull_and_tag, stream_to_hosts
from kamalpy.deploy.deploy import deploy
from kamalpy.errors import CommandFailed
from kamalpy.executor.fanout import HostsFailed
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.plan import deploy_plan
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import HOSTS, sample_config


def with_hook(root: Path) -> Path:
    """A service root whose pre-deploy hook exists (the recording executor never runs it)."""
    hook = root / ".kamal" / "hooks" / "pre-deploy"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\n")
    hook.chmod(0o755)
    return root


def context(executor: RecordingExecutor, root: Path | None = None) -> Context:
    ticks = itertools.count()
    config = dataclasses.replace(sample_config(), registry=Registry(server="registry.example"))
    if root is not None:
        config = dataclasses.replace(config, root=root)
    return Context(
        config=config, executor=executor, console=Console(),
        clock=lambda: float(next(ticks)), recorded_at="2026-01-01T00:00:00Z", performer="ann",
        dry_run=True, secrets={"DB_PASSWORD": Sensitive("x")},
    )  # fmt: skip


def test_each_host_pulls_checks_the_label_and_tags_latest_in_one_command() -> None:
    executor = RecordingExecutor()
    ctx = context(executor)
    for host in HOSTS:
        pull_and_tag(ctx, host)
    config = ctx.config
    expected = pull_checked_argv(config.absolute_image, config.service, (config.latest_image,))
    assert all(executor.commands_for(host) == [expected] for host in HOSTS)


def test_a_host_whose_pull_fails_is_named_with_the_registry_error() -> None:
    executor = RecordingExecutor()
    executor.respond(("sh", "-c"), target=HOSTS[1], stderr="manifest unknown", exit_status=1)
    with pytest.raises(CommandFailed) as failure:
        pull_and_tag(context(executor), HOSTS[1])
    assert HOSTS[1] in failure.value.render() and "manifest unknown" in failure.value.render()


def test_with_a_pre_deploy_hook_a_host_writes_its_env_files_without_waiting_for_a_slower_pull(
    tmp_path: Path,
) -> None:
    first_wrote_env = threading.Event()
    wrote_during_pull: list[bool] = []

    def watch(host: str, argv: tuple[str, ...]) -> None:  # runs outside the recorder's lock
        if host == HOSTS[0] and "kamalpy-install" in argv:
            first_wrote_env.set()
        if host == HOSTS[1] and "kamalpy-pull" in argv:  # a slow pull on the 2nd host
            wrote_during_pull.append(first_wrote_env.wait(timeout=3))

    ctx = context(RecordingExecutor(on_command=watch), root=with_hook(tmp_path))
    deploy(ctx, deploy_plan(ctx.config), deliver_host=partial(pull_and_tag, ctx))
    assert wrote_during_pull == [True]


def test_with_a_pre_deploy_hook_env_files_are_on_every_host_before_it_runs(
    tmp_path: Path,
) -> None:
    executor = RecordingExecutor()
    ctx = context(executor, root=with_hook(tmp_path))
    deploy(ctx, deploy_plan(ctx.config))
    kinds = ["install" if "kamalpy-install" in c.argv else "hook" if c.target == "local"
             else "boot" if "kamalpy-boot" in c.argv else "" for c in executor.calls]  # fmt: skip
    kinds = [k for k in kinds if k]
    assert kinds == ["install"] * (len(HOSTS) + 1) + ["hook"] + ["boot"] * (len(HOSTS) + 1)
    boots = [c.argv for c in executor.calls if "kamalpy-boot" in c.argv]
    assert all(argv[6] == "" for argv in boots)  # not written again by the boot


def test_no_host_boots_before_every_host_has_the_image_and_its_env_files() -> None:
    executor = RecordingExecutor()
    executor.respond(("sh", "-c"), target=HOSTS[2], stderr="manifest unknown", exit_status=1)
    ctx = context(executor)
    with pytest.raises(HostsFailed):
        deploy(ctx, deploy_plan(ctx.config), deliver_host=partial(pull_and_tag, ctx))
    assert not any("kamalpy-boot" in call.argv for call in executor.calls)


def test_a_dry_run_streaming_over_ssh_says_so_per_host_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    executor = RecordingExecutor()
    stream_to_hosts(context(executor), list(HOSTS))  # the image was never built: no check
    assert executor.calls == []
    out = capsys.readouterr().out
    assert all(f"{h}  stream registry.example/hey:v2 over ssh" in out for h in HOSTS), out
