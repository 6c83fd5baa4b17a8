"""details: every service on a host found by label, whichever repository deployed it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kamalpy.cli.details_cmd import render
from kamalpy.commands import details

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def inspected(
    name: str, labels: dict[str, str], state: str = "running", health: str | None = None
) -> dict[str, object]:
    st: dict[str, object] = {"Status": state, "StartedAt": "2026-01-02T03:00:00.123456789Z"}
    if health:
        st["Health"] = {"Status": health}
    return {"Name": f"/{name}", "Config": {"Image": f"img/{name}", "Labels": labels}, "State": st}


HOST = json.dumps([
    inspected("kamal-proxy", {"org.kamalpy.proxy": "traefik"}),
    inspected("shop-web-v2", {"service": "shop", "role": "web", "destination": "",
                              "kamalpy.revision": "abc", "kamalpy.image-digest": "sha256:1"},
              health="healthy"),
    inspected("shop-web-v1", {"service": "shop", "role": "web", "destination": ""}, "exited"),
    inspected("blog-jobs-eu-7", {"service": "blog", "role": "jobs", "destination": "eu"}),
    inspected("shop-db", {"service": "shop-db"}),
    inspected("random", {}),
])  # fmt: skip


def test_classifies_proxy_apps_of_every_service_and_accessories() -> None:
    found = details.host_details("h1", details.parse_inspect(HOST))
    assert found.proxy is not None and found.proxy.name == "kamal-proxy"
    assert [(a.service, a.role, a.destination, a.version) for a in found.apps] == [
        ("blog", "jobs", "eu", "7"), ("shop", "web", "", "v2"),
    ]  # fmt: skip
    assert found.apps[1].digests == {"kamalpy.image-digest": "sha256:1", "kamalpy.revision": "abc"}
    assert [c.name for c in found.accessories] == ["shop-db"]
    everything = details.host_details("h1", details.parse_inspect(HOST), all_apps=True)
    assert [a.version for a in everything.apps] == ["7", "v1", "v2"]


def test_terminal_lines_per_host() -> None:
    lines = render(details.host_details("h1", details.parse_inspect(HOST)), NOW)
    assert lines == [
        "h1 (proxy): running up 4m 5s img/kamal-proxy",
        "h1 (jobs): blog -d eu 7 blog-jobs-eu-7 running up 4m 5s",
        "h1 (web): shop v2 shop-web-v2 running healthy up 4m 5s image-digest=sha256:1 revision=abc",
        "h1 (accessory): shop-db running up 4m 5s img/shop-db",
    ]


@pytest.mark.parametrize(
    ("started", "shown"),
    [
        ("2026-01-02T03:04:05Z", "0s"),
        ("2025-12-30T01:00:00.5Z", "3d 2h"),
        ("0001-01-01T00:00:00Z", ""),
        ("garbage", ""),
    ],
)
def test_uptime(started: str, shown: str) -> None:
    assert details.uptime(started, NOW) == shown


def test_no_containers_and_unreadable_answers_are_empty() -> None:
    assert details.parse_inspect("[]") == []
    assert details.parse_inspect("Cannot connect to the Docker daemon") == []
    assert details.host_details("h1", []).to_json() == {
        "host": "h1", "proxy": None, "apps": (), "accessories": (),
    }  # fmt: skip
