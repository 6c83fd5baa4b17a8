"""Acceptance: several services share one host's proxy without disturbing each other.

alpha (host alpha.test) and beta (host beta.test + path prefix /b, with buffering limits) run on
h1 behind one Traefik. Under continuous load to both, beta is deployed 10 times and a third
service is added and removed: alpha drops no request (nor does beta). A service claiming
alpha's host is refused before anything changes. `remove -y` leaves nothing of a service, and
the proxy goes only with the last service that used it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.deploy_support import LoadClient, Service, make_service, publish
from tests.testbed import Bed

ROUTING = {
    "alpha": "",
    "beta": "  path_prefix: /b\n  buffering:\n    max_request_body: 1000000\n",
    "gamma": "",
}


def service(bed: Bed, root: Path, name: str, host_name: str | None = None) -> Service:
    svc = make_service(bed, root / name, name, workers=False)
    config = svc.root / "config" / "deploy.yml"
    text = config.read_text().replace("hosts: [h1, h2, h3]", "hosts: [h1]")
    text = text.replace(
        f"  host: {name}.test\n", f"  host: {host_name or name}.test\n" + ROUTING.get(name, "")
    )
    config.write_text(text)
    return svc


@pytest.fixture(scope="module")
def services(
    bed: Bed,
    app_images: dict[str, str],
    traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Service]]:
    root = tmp_path_factory.mktemp("shared")
    for name in ("alpha", "beta", "gamma", "clash"):
        publish(bed, name, ("v1", "v2"))
    yield {name: service(bed, root, name) for name in ("alpha", "beta", "gamma")} | {
        "clash": service(bed, root, "clash", host_name="alpha"),
    }


def deploy(svc: Service, version: str) -> None:
    result = svc.kamalpy("deploy", "--skip-push", "--version", version)
    assert result.returncode == 0, result.stdout + result.stderr


def leftovers(svc: Service, name: str) -> str:
    return svc.ssh(
        "h1",
        f"docker ps -a --format '{{{{.Names}}}}' --filter label=service={name}; "
        f"ls -d .kamal/apps/{name} .kamal/proxy/dynamic/{name}-* 2>/dev/null; true",
    ).strip()


def test_two_services_share_the_proxy_by_host_and_path(services: dict[str, Service]) -> None:
    deploy(services["alpha"], "v1")
    deploy(services["beta"], "v1")
    assert services["alpha"].get("h1", "/version") == (200, "v1\n")
    assert services["beta"].get("h1", "/b/version") == (200, "v1\n")
    assert services["beta"].get("h1", "/version")[0] == 404  # beta answers only under /b


def test_details_lists_every_service_on_the_host(services: dict[str, Service]) -> None:
    result = services["alpha"].kamalpy("details")
    assert result.returncode == 0, result.stderr
    assert "h1 (proxy): running" in result.stdout
    assert "h1 (web): alpha v1 alpha-web-v1 running" in result.stdout
    assert "h1 (web): beta v1 beta-web-v1 running" in result.stdout  # not in alpha's deploy.yml
    doc = json.loads(services["alpha"].kamalpy("details", "--json").stdout)
    assert {"alpha", "beta"} <= {a["service"] for a in doc["hosts"][0]["apps"]}


def test_a_service_claiming_anothers_host_is_refused_before_any_change(
    services: dict[str, Service],
) -> None:
    clash = services["clash"]
    result = clash.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "clash-web and alpha-web both claim alpha.test/" in result.stderr
    assert leftovers(clash, "clash") == ""
    assert services["alpha"].get("h1", "/version") == (200, "v1\n")


def test_deploying_one_ten_times_and_adding_removing_a_third_drops_nothing(
    services: dict[str, Service],
) -> None:
    alpha, beta, gamma = services["alpha"], services["beta"], services["gamma"]
    with (
        LoadClient(alpha, hosts=("h1",)) as on_alpha,
        LoadClient(beta, hosts=("h1",), path="/b/up") as on_beta,
    ):
        for n in range(10):
            deploy(beta, ("v2", "v1")[n % 2])
        deploy(gamma, "v1")
        assert gamma.get("h1", "/version") == (200, "v1\n")
        removed = gamma.kamalpy("remove", "-y")
        assert removed.returncode == 0, removed.stdout + removed.stderr
    for name, load in (("alpha", on_alpha), ("beta", on_beta)):
        assert load.failed == 0, f"{name}: {load.failures[:5]}"
        assert load.succeeded > 50, f"{name}: {load.outcomes}"
    assert beta.get("h1", "/b/version") == (200, "v1\n")


def test_remove_leaves_nothing_of_the_service_and_keeps_the_shared_proxy(
    services: dict[str, Service],
) -> None:
    gamma = services["gamma"]
    assert leftovers(gamma, "gamma") == ""
    assert gamma.get("h1", "/version")[0] == 404
    assert "kamal-proxy" in gamma.ssh("h1", "docker ps --format '{{.Names}}'")


def test_the_proxy_goes_with_the_last_service(services: dict[str, Service]) -> None:
    alpha = services["alpha"]
    for name in ("beta", "alpha"):
        result = services[name].kamalpy("remove", "-y")
        assert result.returncode == 0, result.stdout + result.stderr
        assert leftovers(services[name], name) == ""
    # Other test modules share the session's bed: their routes keep the proxy alive.
    others = alpha.ssh("h1", "ls .kamal/proxy/dynamic/ | grep '[.]yml$' || true").split()
    containers = alpha.ssh("h1", "docker ps -a --format '{{.Names}}'")
    if others:
        assert "proxy kept (routes: " in result.stdout
        assert "kamal-proxy" in containers
    else:
        assert "proxy removed (no route left)" in result.stdout
        assert "kamal-proxy" not in containers
