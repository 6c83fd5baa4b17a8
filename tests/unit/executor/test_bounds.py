"""Which bound a remote command gets, and the `timeout` argv that enforces it on the host."""

from __future__ import annotations

import pytest

from kamalpy.commands import app, app_scripts, proxy
from kamalpy.executor.bounds import (
    DEFAULT_BOUNDS,
    CommandBounds,
    bound_for,
    bounded_argv,
    bounds_from,
    timed_out,
)

B = CommandBounds(quick=7, long=900, grace=3)

CASES = [
    (("docker", "ps", "--quiet"), 7),
    (("docker", "inspect", "--format", "{{.State.Status}}", "web"), 7),
    (("docker", "container", "ls"), 7),
    (("docker", "pull", "registry/app:v1"), 900),
    (("docker", "image", "pull", "registry/app:v1"), 900),
    (("docker", "load"), 900),
    (("docker", "image", "push", "x"), 900),
    (("docker", "buildx", "build", "."), 900),
    (("docker", "run", "--detach", "--name", "web", "img"), 900),
    (("docker", "exec", "web", "rake", "db:migrate"), 900),
    (("docker", "--context", "pull", "ps"), 7),  # a context named "pull" is not a pull
    (("docker", "-H", "unix:///x.sock", "pull", "img"), 900),
    (("docker", "stop", "-t", "30", "web"), 37),
    (("docker", "stop", "--time=120", "web"), 127),
    (("docker", "container", "stop", "--timeout", "5", "db"), 12),
    (("docker", "stop", "web"), 7),
    (("sh", "-c", "docker image inspect x >/dev/null || docker pull x"), 900),
    (("sh", "-c", "docker ps -q | xargs docker stop -t 45"), 52),
    (("sh", "-c", "mkdir -p .kamal && echo ok"), 7),
    (("mkdir", "-p", ".kamal/apps"), 7),
    (("cat", "/etc/pulled"), 7),
    (("echo", "docker", "pull"), 7),  # not a docker call
    ((), 7),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bound_by_kind_of_command(argv: tuple[str, ...], expected: float) -> None:
    assert bound_for(argv, B) == expected


def test_commands_the_flows_build_get_the_bounds_they_need() -> None:
    assert bound_for(app.stop_argv(["web-1"], timeout=30), B) == 37
    assert bound_for(app_scripts.network_create_argv(), B) == 7
    assert bound_for(proxy.start_argv(), B) == 7


def test_bounded_argv_puts_the_command_under_timeout_with_a_kill_grace() -> None:
    assert bounded_argv(("docker", "ps"), 60, 10) == ("timeout", "-k", "10", "60", "docker", "ps")
    assert bounded_argv(("true",), 0.2, 0.5) == ("timeout", "-k", "1", "1", "true")
    assert bounded_argv(("sleep", "1"), 2.5, 10) == ("timeout", "-k", "10", "3", "sleep", "1")


@pytest.mark.parametrize(
    ("status", "elapsed", "bound", "expected"),
    [
        (124, 60.1, 60, True),
        (137, 70.0, 60, True),  # had to KILL after the grace
        (124, 0.3, 60, False),  # the command's own 124, long before the bound
        (0, 61, 60, False),
        (1, 61, 60, False),
    ],
)
def test_timed_out_needs_timeouts_status_and_the_time_spent(
    status: int, elapsed: float, bound: float, expected: bool
) -> None:
    assert timed_out(status, elapsed, bound) is expected


def test_bounds_from_deploy_yml_keep_defaults_for_missing_kinds() -> None:
    assert bounds_from({}) == DEFAULT_BOUNDS
    assert bounds_from({"quick": 5}) == CommandBounds(quick=5, long=DEFAULT_BOUNDS.long)
    assert bounds_from({"quick": 90, "long": 30}).long == 90  # long is never below quick
