"""Acceptance: `error_pages_path` pages are served by the proxy for that service's errors only.

`errpg` (errpg.test) has `public/4xx.html`, `503.html` and `5xx.html`; `errplain` (errplain.test)
shares h2's proxy without pages. A 404 from errpg's app, the 503 of its maintenance mode and the
gateway error of its stopped container get errpg's pages with their own status; errplain's 404
does not. (A stopped app's name does not resolve: Traefik answers 504 after its dial timeout.)
The page server is busybox httpd from the bed's registry (`x-kamalpy.error_pages_image`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.deploy_support import Service, make_service, publish
from tests.testbed import Bed, images

pytestmark = pytest.mark.integration
PAGES = {"4xx.html": "errpg 4xx page\n", "503.html": "errpg 503 page\n", "5xx.html": "errpg 5xx\n"}


def service(bed: Bed, root: Path, name: str, extra: str = "") -> Service:
    svc = make_service(bed, root / name, name, workers=False, extra=extra)
    config = svc.root / "config" / "deploy.yml"
    config.write_text(config.read_text().replace("hosts: [h1, h2, h3]", "hosts: [h2]"))
    return svc


@pytest.fixture(scope="module")
def services(
    bed: Bed, app_images: dict[str, str], traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Service]]:  # fmt: skip
    root = tmp_path_factory.mktemp("errpg")
    for name in ("errpg", "errplain"):
        publish(bed, name, ("v1",))
    server = images.publish_app(bed, "v1", repository="errpg-pages")
    extra = f"error_pages_path: public\nx-kamalpy:\n  error_pages_image: {server}\n"
    pages = service(bed, root, "errpg", extra)
    (pages.root / "public").mkdir()
    for name, text in PAGES.items():
        (pages.root / "public" / name).write_text(text)
    (pages.root / "public" / "index.html").write_text("not an error page\n")
    both = {"errpg": pages, "errplain": service(bed, root, "errplain")}
    for svc in both.values():
        result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
        assert result.returncode == 0, result.stdout + result.stderr
    yield both
    for svc in both.values():
        svc.kamalpy("remove", "-y")


def test_a_404_of_the_service_gets_its_4xx_page_and_another_service_does_not(
    services: dict[str, Service],
) -> None:
    pages, plain = services["errpg"], services["errplain"]
    assert pages.get("h2") == (200, "v1\n")
    assert pages.get("h2", "/missing") == (404, PAGES["4xx.html"])
    status, body = plain.get("h2", "/missing")
    assert status == 404 and "errpg" not in body


def test_maintenance_answers_503_with_the_503_page(services: dict[str, Service]) -> None:
    pages = services["errpg"]
    result = pages.kamalpy("app", "maintenance")
    assert result.returncode == 0, result.stdout + result.stderr
    try:
        assert pages.get("h2") == (503, PAGES["503.html"])
    finally:
        live = pages.kamalpy("app", "live")
        assert live.returncode == 0, live.stdout + live.stderr
    assert pages.get("h2") == (200, "v1\n")


def test_a_stopped_app_answers_its_gateway_error_with_the_5xx_page(
    services: dict[str, Service],
) -> None:
    pages = services["errpg"]
    pages.ssh("h2", "docker stop -t 1 errpg-web-v1 >/dev/null")
    try:
        # Its name no longer resolves on `kamal`: Traefik gives up at the dial timeout (5 s)
        # with 504 (502 when the name resolves but nothing listens).
        status, body = pages.get("h2", timeout=20)
        assert status in (502, 504) and body == PAGES["5xx.html"]
    finally:
        pages.ssh("h2", "docker start errpg-web-v1 >/dev/null")


def test_remove_takes_the_pages_away_and_the_other_service_keeps_serving(
    services: dict[str, Service],
) -> None:
    pages, plain = services["errpg"], services["errplain"]
    result = pages.kamalpy("remove", "-y")
    assert result.returncode == 0, result.stdout + result.stderr
    left = pages.ssh("h2", "ls -A .kamal/proxy/error_pages/ 2>/dev/null; true").split()
    assert "errpg" not in left
    assert plain.get("h2") == (200, "v1\n")
