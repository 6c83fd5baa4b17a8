"""Acceptance: continuous clients (fresh connections, keep-alive, 2 s requests) across deploys."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from tests.integration.deploy_support import HOSTS, LoadClient, Service, make_service
from tests.testbed import Bed, images

DEPLOYS = int(os.environ.get("KAMALPY_ZERO_DOWNTIME_DEPLOYS", "20"))


@pytest.fixture(scope="module")
def svc(
    bed: Bed,
    app_images: dict[str, str],
    traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    # Two versions of the app that both serve a 2-second /cgi-bin/slow.
    local = images.build_app("slow", "zd")
    for tag in ("slow-a", "slow-b"):
        images.publish(bed, local, f"{bed.registry}/zd:{tag}")
    service = make_service(bed, tmp_path_factory.mktemp("zd"), "zd", workers=False)
    result = service.kamalpy("deploy", "--skip-push", "--version", "slow-a")
    assert result.returncode == 0, result.stdout + result.stderr
    yield service


def test_consecutive_deploys_lose_no_request_and_finish_in_flight_ones(svc: Service) -> None:
    started = time.monotonic()
    with LoadClient(svc, slow_path="/cgi-bin/slow", max_seconds=60 + DEPLOYS * 30) as client:
        for number in range(DEPLOYS):
            version = "slow-b" if number % 2 == 0 else "slow-a"
            result = svc.kamalpy("deploy", "--skip-push", "--version", version)
            assert result.returncode == 0, result.stdout + result.stderr
            for host in HOSTS:
                assert svc.get(host, "/version") == (200, "slow\n")
        time.sleep(2.5)  # let the last slow requests finish
    seconds = time.monotonic() - started
    print(f"\n{DEPLOYS} deploys in {seconds:.0f}s, outcomes: {dict(client.outcomes)}")
    assert client.failed == 0, client.failures[:10]
    assert client.outcomes["slow ok"] >= DEPLOYS * 3
    assert client.outcomes["fresh ok"] > 100 and client.outcomes["keepalive ok"] > 100
