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
        ("2026-01-01T03:04:05Z", "1d"),  # exactly a day, an hour, a minute: no remainder
        ("2026-01-02T02:04:05Z", "1h"),
        ("2026-01-02T03:03:05Z", "1m"),
        ("2026-01-02T03:04:06Z", ""),  # in the future: clocks disagree
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


def test_uptime_counts_from_the_year_2000_on() -> None:
    now = datetime(2000, 1, 1, 0, 0, 10, tzinfo=UTC)
    assert details.uptime("2000-01-01T00:00:00Z", now) == "10s"
    assert details.uptime("1999-12-31T23:59:59Z", now) == ""


def test_missing_fields_read_as_empty_and_a_json_object_as_no_containers() -> None:
    assert details.parse_inspect('{"Name": "/x"}') == []
    assert details.parse_inspect("") == []
    (bare,) = details.parse_inspect('[{"State": null, "Config": null}]')
    assert bare == details.Container(name="", image="", state="", health="none", started_at="")
    assert bare.labels == {} and bare.service == ""
    named = details.parse_inspect('[{"Name": "//a/b"}, {"Name": "/Xa"}]')
    assert [c.name for c in named] == ["a/b", "Xa"]


def test_an_app_named_otherwise_takes_its_version_label_and_no_destination() -> None:
    containers = details.parse_inspect(json.dumps([
        inspected("custom", {"service": "hey", "role": "web", "version": "v9"}),
        inspected("other", {"service": "hey", "role": "jobs"}),
        inspected("zeta-db", {"service": "zeta-db"}),
        inspected("alpha-db", {"service": "alpha-db"}),
    ]))  # fmt: skip
    found = details.host_details("h1", containers)
    assert [(a.role, a.version, a.destination) for a in found.apps] == [
        ("jobs", "", ""), ("web", "v9", ""),
    ]  # fmt: skip
    assert [c.name for c in found.accessories] == ["alpha-db", "zeta-db"]
