"""`app maintenance|live`: write the route, then confirm it through Traefik's API per host."""

from __future__ import annotations

import pytest

from kamalpy.commands.health import http_get_argv
from kamalpy.deploy import app_ops, hostops
from kamalpy.errors import ExitCode
from kamalpy.executor.fanout import HostsFailed
from kamalpy.executor.recording import RecordingExecutor
from tests.unit.commands.test_proxy_api import LIVE, MAINTENANCE, http
from tests.unit.deploy.sample import HOSTS
from tests.unit.deploy.test_deploy_flow import context

API = http_get_argv("127.0.0.1", 8089, "/api/http/services/hey-web@file")
RUNNING = ("docker", "ps", "--all", "--filter", "label=service=hey", "--filter",
           "label=destination=", "--filter", "label=role=web", "--filter", "status=running",
           "--filter", "status=restarting", "--format", "{{.Names}}")  # fmt: skip
TEMP = ".kamal/proxy/dynamic/.hey-web.maintenance.tmp"
WEB = app_ops.Selection(roles=["web"])


def running_v2(executor: RecordingExecutor) -> None:
    executor.respond(lambda argv: "status=running" in argv, stdout="hey-web-v2\n")


def live_v2_body() -> str:
    return http("200 OK", LIVE.replace("hey-web-v1", "hey-web-v2"))


def test_dry_run_maintenance_writes_renames_and_prints_the_api_query_once() -> None:
    executor = RecordingExecutor()
    lines = app_ops.set_maintenance(context(executor), WEB, on=True)
    assert lines == [f"{h} (web): maintenance (503)" for h in HOSTS]
    assert executor.commands_for(HOSTS[1]) == [
        RUNNING,
        ("install", "-D", "-m", "644", "/dev/stdin", TEMP),
        ("mv", "-f", "--", TEMP, ".kamal/proxy/dynamic/hey-web.yml"),
        API,
    ]


def test_dry_run_live_prints_the_api_query_after_the_rename() -> None:
    executor = RecordingExecutor()
    running_v2(executor)
    lines = app_ops.set_maintenance(context(executor), WEB, on=False)
    assert lines == [f"{h} (web): live -> hey-web-v2" for h in HOSTS]
    assert executor.commands_for(HOSTS[0])[-2:] == [
        ("mv", "-f", "--", TEMP, ".kamal/proxy/dynamic/hey-web.yml"),
        API,
    ]


def test_maintenance_returns_once_the_api_shows_no_server() -> None:
    executor = RecordingExecutor()
    running_v2(executor)
    executor.respond(API, stdout=live_v2_body(), times=2 * len(HOSTS))  # not picked up yet
    executor.respond(API, stdout=http("200 OK", MAINTENANCE))
    lines = app_ops.set_maintenance(context(executor, dry_run=False), WEB, on=True)
    assert lines == [f"{h} (web): maintenance (503)" for h in HOSTS]
    assert sum(argv == API for h in HOSTS for argv in executor.commands_for(h)) > len(HOSTS)


def test_live_returns_once_the_api_shows_the_running_container() -> None:
    executor = RecordingExecutor()
    running_v2(executor)
    executor.respond(API, stdout=http("200 OK", MAINTENANCE), times=2 * len(HOSTS))
    executor.respond(API, stdout=live_v2_body())
    lines = app_ops.set_maintenance(context(executor, dry_run=False), WEB, on=False)
    assert lines == [f"{h} (web): live -> hey-web-v2" for h in HOSTS]


def test_live_is_not_confirmed_by_another_container_still_routed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hostops, "ROUTE_CONFIRM_TIMEOUT", 0.3)
    executor = RecordingExecutor()
    running_v2(executor)
    executor.respond(API, stdout=http("200 OK", LIVE))  # still hey-web-v1
    with pytest.raises(HostsFailed) as failed:
        app_ops.set_maintenance(context(executor, dry_run=False), WEB, on=False)
    assert "the route to http://hey-web-v2:80" in failed.value.message
    assert "still reports http://hey-web-v1:80" in failed.value.message


def test_proxy_that_never_picks_up_maintenance_fails_naming_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hostops, "ROUTE_CONFIRM_TIMEOUT", 0.3)
    executor = RecordingExecutor()
    running_v2(executor)
    executor.respond(API, target=HOSTS[2], stdout=live_v2_body())  # h3's proxy keeps the route
    executor.respond(API, stdout=http("200 OK", MAINTENANCE))
    with pytest.raises(HostsFailed) as failed:
        app_ops.set_maintenance(context(executor, dry_run=False), WEB, on=True)
    assert failed.value.exit_code == ExitCode.DEPLOY_FAILED
    assert list(failed.value.errors) == [HOSTS[2]]
    text = failed.value.render()
    assert (
        f"{HOSTS[2]}: the proxy did not pick up maintenance mode (no server) for hey-web "
        "within 0.3s (its API still reports http://hey-web-v2:80 for http/services/hey-web@file)"
    ) in text
    assert "kamalpy proxy details" in text
    assert len(text.splitlines()) < 10
