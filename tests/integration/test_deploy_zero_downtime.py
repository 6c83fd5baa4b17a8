"""Acceptance: continuous clients (fresh connections, keep-alive, 2 s requests) across deploys."""

from __future__ import annotations

import os
import time

from tests.integration.deploy_support import (
    HOSTS,
    LoadClient,
    Service,
    service_fixture,
)
from tests.testbed import Bed, images

DEPLOYS = int(os.environ.get("KAMALPY_ZERO_DOWNTIME_DEPLOYS", "20"))


def _slow_images(bed: Bed, service: Service) -> None:
    """Two versions of the app that both serve a 2-second /cgi-bin/slow."""
    local = images.build_app("slow", "zd")
    for tag in ("slow-a", "slow-b"):
        images.publish(bed, local, f"{bed.registry}/zd:{tag}")


svc = service_fixture("zd", (), prepare=_slow_images, deployed="slow-a", workers=False)


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
