"""A host listed in x-kamalpy.local_hosts runs here, in its home, like `ssh host cmd` would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from kamalpy.errors import CommandTimedOut
from kamalpy.executor.base import LOCAL, Target
from kamalpy.executor.local import LocalExecutor
from kamalpy.executor.process import ProcessResult
from kamalpy.executor.routing import RoutingExecutor


class FakeRunner:
    """Records what would be spawned; answers exit 0."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], dict[str, str] | None]] = []

    def __call__(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        self.calls.append((tuple(argv), dict(env) if env is not None else None))
        return ProcessResult(0, b"", b"", 0.0)


def test_local_host_command_runs_in_its_home_without_ssh() -> None:
    runner = FakeRunner()
    with RoutingExecutor(runner=runner, host_home="/srv/demo") as executor:
        result = executor.run(Target("localhost", local=True), ["mkdir", "-p", ".kamal/x y"])
    argv, env = runner.calls[0]
    # Under the bound a remote host's command gets (quick: 60 s, 10 s grace), argv untouched.
    assert argv == ("sh", "-c", 'cd "$HOME" && exec "$@"', "kamalpy-local-host",
                    "timeout", "-k", "10", "60", "mkdir", "-p", ".kamal/x y")  # fmt: skip
    assert env == {"HOME": "/srv/demo"}
    assert result.target == "localhost"
    assert result.argv == ("mkdir", "-p", ".kamal/x y")


def test_local_host_without_home_setting_uses_the_inherited_home() -> None:
    runner = FakeRunner()
    with RoutingExecutor(runner=runner) as executor:
        executor.run(Target("localhost", local=True), ["true"])
    assert runner.calls[0][1] is None
    assert runner.calls[0][0][:3] == ("sh", "-c", 'cd "$HOME" && exec "$@"')


def test_kamalpy_own_local_target_runs_argv_as_is_in_the_current_directory() -> None:
    runner = FakeRunner()
    with RoutingExecutor(runner=runner, host_home="/srv/demo") as executor:
        executor.run(LOCAL, ["docker", "build", "."])
    assert runner.calls == [(("docker", "build", "."), None)]


def test_a_host_named_localhost_without_the_setting_is_an_ssh_target() -> None:
    assert not Target("localhost").is_local
    assert Target("localhost", local=True).is_local_host
    assert not LOCAL.is_local_host


def test_a_local_host_s_pipe_end_stopped_by_its_bound_is_a_timeout_naming_the_host() -> None:
    executor = LocalExecutor(runner=FakeRunner(), host_home="/srv/demo")
    host = Target("localhost", local=True)
    argv = ("mkdir", "-p", "x")  # quick: 60 s
    executor.after_exit(host, 0, "", argv, 61.0)  # a success is a success whatever it took
    executor.after_exit(host, 124, "", argv, 1.0)  # the command's own 124, well inside its bound
    executor.after_exit(LOCAL, 124, "", argv, 61.0)  # kamalpy's own commands have no bound
    with pytest.raises(CommandTimedOut) as stopped:
        executor.after_exit(host, 124, "", argv, 61.0)
    assert "localhost" in str(stopped.value) and "mkdir -p x" in str(stopped.value)
