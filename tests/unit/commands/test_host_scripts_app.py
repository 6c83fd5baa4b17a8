"""The deploy's host-side scripts run for real against a recording stand-in `docker`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.commands import (
    app,
    app_scripts,
    docker_build,
    error_pages,
    health,
    proxy,
    running,
)
from tests.support.hostsh import HostShell

NEWEST_FIRST = "hey-web-v5\nhey-web-v4\nhey-web-v3\nhey-web-v2\nhey-web-v1\n"
RUN = ("docker", "run", "--detach", "--name", "hey-web-v2", "hey:v2")


@pytest.fixture
def host(tmp_path: Path) -> HostShell:
    return HostShell(tmp_path)


@pytest.mark.parametrize(
    ("keep", "removed"),
    [
        (0, ["hey-web-v5", "hey-web-v4", "hey-web-v3", "hey-web-v2", "hey-web-v1"]),
        (1, ["hey-web-v4", "hey-web-v3", "hey-web-v2", "hey-web-v1"]),
        (2, ["hey-web-v3", "hey-web-v2", "hey-web-v1"]),
        (4, ["hey-web-v1"]),
        (5, []),
        (9, []),
    ],
)
def test_prune_keeps_exactly_the_newest_keep_stopped_containers(
    host: HostShell, keep: int, removed: list[str]
) -> None:
    host.answer("ps", "status=exited", stdout=NEWEST_FIRST)
    done = host.run(app_scripts.prune_containers_argv("hey", "web", "prod", keep))
    assert done.returncode == 0, done.stderr
    assert host.commands("rm") == [("rm", "--", name) for name in removed]
    (ps,) = host.commands("ps")
    assert ps == ("ps", "--all", "--filter", "label=service=hey", "--filter",
                  "label=destination=prod", "--filter", "label=role=web", "--filter",
                  "status=created", "--filter", "status=exited", "--filter", "status=dead",
                  "--format", "{{.Names}}")  # fmt: skip


ROLE_NEWEST_FIRST = (
    "hey-web-v2 running\nhey-web-v1 running\nhey-web-v0 restarting\nhey-web-old exited\n"
    "hey-web-older dead\nhey-web-made created\nhey-web-held paused\n"
)


@pytest.mark.parametrize(
    ("timeout", "retain", "removed"),
    [
        (None, 0, ["hey-web-v1", "hey-web-v0", "hey-web-old", "hey-web-older", "hey-web-made"]),
        (30, 1, ["hey-web-v0", "hey-web-old", "hey-web-older", "hey-web-made"]),
        (None, 3, ["hey-web-older", "hey-web-made"]),
        (None, 4, ["hey-web-made"]),
        (30, 5, []),
        (None, 9, []),
    ],
)
def test_retire_stops_every_other_running_container_then_prunes_beyond_retain(
    host: HostShell, timeout: int | None, retain: int, removed: list[str]
) -> None:
    host.answer("ps", stdout=ROLE_NEWEST_FIRST)
    done = host.run(app_scripts.retire_argv("hey", "web", None, "hey-web-v2", timeout, retain))
    assert done.returncode == 0, done.stderr
    wait = ("-t", str(timeout)) if timeout is not None else ()
    assert [c[0] for c in host.calls] == ["ps", "stop"] + (["rm"] if removed else [])
    assert host.commands("ps") == [
        ("ps", "--all", "--filter", "label=service=hey", "--filter", "label=destination=",
         "--filter", "label=role=web", "--format", "{{.Names}} {{.State}}")
    ]  # fmt: skip
    assert host.commands("stop") == [("stop", *wait, "hey-web-v1", "hey-web-v0")]
    assert host.commands("rm") == ([("rm", "--", *removed)] if removed else [])


def test_retire_with_nothing_else_running_stops_nothing_and_succeeds(host: HostShell) -> None:
    host.answer("ps", stdout="hey-web-v2 running\n")
    done = host.run(app_scripts.retire_argv("hey", "web", None, "hey-web-v2", None, 5))
    assert done.returncode == 0, done.stderr
    assert host.commands("stop") == [] and host.commands("rm") == []


def test_retire_fails_when_the_engine_cannot_list_the_role(host: HostShell) -> None:
    host.answer("ps", status=1, stderr="Cannot connect to the Docker daemon")
    done = host.run(app_scripts.retire_argv("hey", "web", None, "hey-web-v2", None, 5))
    assert done.returncode == 1
    assert [c[0] for c in host.calls] == ["ps"]


def test_running_others_lists_all_but_the_new_container(host: HostShell) -> None:
    host.answer("ps", stdout="hey-web-v2\nhey-web-v1\nhey-web-v2x\n")
    done = host.run(app_scripts.running_others_argv("hey", "web", None, "hey-web-v2"))
    assert (done.returncode, done.stdout) == (0, "hey-web-v1\nhey-web-v2x\n")
    host.rows.clear()
    host.answer("ps", stdout="hey-web-v2\n")
    assert (
        host.run(app_scripts.running_others_argv("hey", "web", None, "hey-web-v2")).returncode == 0
    )


@pytest.mark.parametrize(("exists", "created"), [(0, False), (1, True)])
def test_preflight_creates_the_kamal_network_only_when_missing(
    host: HostShell, exists: int, created: bool
) -> None:
    host.answer("network", "inspect", status=exists)
    done = host.run(app_scripts.network_create_argv())
    assert done.returncode == 0, done.stdout + done.stderr
    assert (("network", "create", "kamal") in host.calls) is created


def test_pull_checked_tags_an_image_of_this_service(host: HostShell) -> None:
    host.answer("image", "inspect", stdout="hey")
    argv = docker_build.pull_checked_argv("r/hey:v2", "hey", tags=("r/hey:latest", "hey:v2"))
    done = host.run(argv)
    assert done.returncode == 0, done.stderr
    assert host.calls[0] == ("pull", "r/hey:v2")
    assert host.commands("tag") == [
        ("tag", "r/hey:v2", "r/hey:latest"),
        ("tag", "r/hey:v2", "hey:v2"),
    ]


def test_pull_checked_refuses_another_service_s_image(host: HostShell) -> None:
    host.answer("image", "inspect", stdout="other")
    done = host.run(docker_build.pull_checked_argv("r/hey:v2", "hey", tags=("r/hey:latest",)))
    assert (done.returncode, done.stdout) == (docker_build.LABEL_MISMATCH, "other")
    assert host.commands("tag") == []


def test_pull_checked_stops_at_a_failed_pull(host: HostShell) -> None:
    host.answer("pull", status=1)
    assert host.run(docker_build.pull_checked_argv("r/hey:v2", "hey")).returncode == 1
    assert [c[0] for c in host.calls] == ["pull"]


def test_proxy_boot_mounts_directories_made_under_home(host: HostShell) -> None:
    settings = proxy.ProxySettings(image="traefik:v3", http_port=80, https_port=443,
                                   api_port=8081, ssl=False, bind_ips=())  # fmt: skip
    argv = proxy.run_argv(settings)
    done = host.run(argv)
    assert done.returncode == 0, done.stderr
    assert (host.home / proxy.DYNAMIC_DIR).is_dir() and (host.home / proxy.ACME_DIR).is_dir()
    (run,) = host.calls
    assert run[:5] == (
        "run", "--volume", f"{host.home}/{proxy.DYNAMIC_DIR}:{proxy.CONTAINER_DYNAMIC_DIR}:ro",
        "--volume", f"{host.home}/{proxy.ACME_DIR}:{proxy.CONTAINER_ACME_DIR}",
    )  # fmt: skip
    assert run[5:] == argv[4:]


def test_error_page_server_boot_mounts_the_pages_made_under_home_read_only(
    host: HostShell,
) -> None:
    argv = error_pages.server_run_argv("busybox:1.37")
    done = host.run(argv)
    assert done.returncode == 0, done.stderr
    assert (host.home / error_pages.PAGES_DIR).is_dir()
    assert host.calls == [
        ("run", "--volume", f"{host.home}/{error_pages.PAGES_DIR}:/pages:ro", *argv[4:]),
    ]  # fmt: skip
    assert argv[4:] == (
        "--detach", "--init", "--restart", "unless-stopped", "--name", "kamal-proxy-pages",
        "--network", "kamal", "--label", "org.kamalpy.proxy=error-pages", "busybox:1.37",
        "httpd", "-f", "-p", "8080", "-h", "/pages",
    )  # fmt: skip


def test_error_page_server_boot_stops_when_the_directory_cannot_be_made(host: HostShell) -> None:
    (host.home / ".kamal").write_text("a file where the directory goes")
    done = host.run(error_pages.server_run_argv("busybox:1.37"))
    assert done.returncode != 0 and host.calls == []


def test_grep_output_filters_both_streams_by_the_pattern(host: HostShell) -> None:
    host.answer("logs", stdout="GET /up\nnoise\n", stderr="GET /x failed\n")
    done = host.run(app.grep_output_argv(("docker", "logs", "hey-web-v2"), "GET"))
    assert sorted(done.stdout.splitlines()) == ["GET /up", "GET /x failed"]


@pytest.mark.parametrize(("timeout", "wait"), [(None, ()), (10, ("-t", "10"))])
def test_stop_others_stops_all_but_the_kept_container(
    host: HostShell, timeout: int | None, wait: tuple[str, ...]
) -> None:
    host.answer("ps", "status=running", stdout="hey-web-v2\nhey-web-v1\n")
    done = host.run(app_scripts.stop_others_argv("hey", "web", None, "hey-web-v2", timeout))
    assert done.returncode == 0, done.stderr
    assert host.commands("stop") == [("stop", *wait, "hey-web-v1")]


def test_the_tool_check_says_ok_only_when_docker_is_there(host: HostShell) -> None:
    assert host.run(health.TOOL_CHECK).stdout == "ok\n"
    (host.bin / "docker").unlink()
    done = host.run(health.TOOL_CHECK)
    assert (done.returncode, done.stdout) == (1, "")


def test_running_containers_inspects_every_running_labelled_container(host: HostShell) -> None:
    host.answer("ps", stdout="aaa\nbbb\n")
    host.answer("inspect", stdout="line-a\nline-b\n")
    done = host.run(running.running_containers_argv())
    assert (done.returncode, done.stdout) == (0, "line-a\nline-b\n")
    assert host.calls == [
        ("ps", "--quiet", "--no-trunc", "--filter", "label=service", "--filter", "status=running"),
        ("inspect", "--format", running.RUNNING_FORMAT, "aaa", "bbb"),
    ]


def test_a_container_gone_between_ps_and_inspect_still_lists_the_others(
    host: HostShell,
) -> None:
    host.answer("ps", stdout="aaa\nbbb\n")
    host.answer("inspect", stdout="line-b\n", stderr="Error: No such object: aaa", status=1)
    done = host.run(running.running_containers_argv())
    assert (done.returncode, done.stdout) == (0, "line-b\n")


def test_an_engine_that_does_not_answer_fails_the_host(host: HostShell) -> None:
    host.answer("ps", stderr="Cannot connect to the Docker daemon", status=1)
    done = host.run(running.running_containers_argv())
    assert done.returncode == 1
    assert [c[0] for c in host.calls] == ["ps"]


def test_running_containers_with_none_running_prints_nothing(host: HostShell) -> None:
    done = host.run(running.running_containers_argv())
    assert (done.returncode, done.stdout) == (0, "")
    assert [c[0] for c in host.calls] == ["ps"]
