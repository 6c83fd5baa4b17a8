"""Acceptance: an accessory's own `proxy:` section routes it through the host's shared proxy.

`accpx` runs its app on h3 (accpx.test) and an accessory `board` (the store image: httpd serving
/data) behind the same proxy by host and path prefix (accpx-board.test/board). `accessory boot`
writes the route and the accessory answers through the proxy; the app's deploy leaves it routed;
`accessory remove` takes the route away while the app keeps serving.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.deploy_support import Service, make_service, proxy_get, publish
from tests.testbed import Bed, images

pytestmark = pytest.mark.integration
ROUTE = ".kamal/proxy/dynamic/accpx-board.yml"


@pytest.fixture(scope="module")
def svc(
    bed: Bed, app_images: dict[str, str], traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:  # fmt: skip
    publish(bed, "accpx", ("v1",))
    store = images.publish_store(bed, "v1", repository="accpx-store")
    extra = (
        f"accessories:\n  board:\n    image: {store}\n    host: h3\n"
        "    proxy:\n      host: accpx-board.test\n      path_prefix: /board\n      app_port: 80\n"
    )
    service = make_service(bed, tmp_path_factory.mktemp("accpx"), "accpx", workers=False,
                           extra=extra)  # fmt: skip
    config = service.root / "config" / "deploy.yml"
    config.write_text(config.read_text().replace("hosts: [h1, h2, h3]", "hosts: [h3]"))
    yield service
    service.kamalpy("remove", "-y")


def board(bed: Bed, path: str = "/board/boots") -> tuple[int, str]:
    return proxy_get(bed, "h3", "accpx-board", path)


def test_boot_routes_the_accessory_by_host_and_path(svc: Service, bed: Bed) -> None:
    result = svc.kamalpy("accessory", "boot", "board")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "h3 (board): booted; routed (accpx-board.test /board)" in result.stdout
    assert board(bed) == (200, "v1\n")  # /board stripped: the accessory's own /boots
    assert board(bed, "/boots")[0] == 404  # outside its path prefix: not the accessory


def test_an_app_deploy_beside_it_leaves_the_accessory_routed(svc: Service, bed: Bed) -> None:
    route = svc.ssh("h3", f"cat {ROUTE}")
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert svc.get("h3") == (200, "v1\n")
    assert board(bed) == (200, "v1\n")
    assert svc.ssh("h3", f"cat {ROUTE}") == route


def test_remove_takes_the_route_away_and_the_app_keeps_serving(svc: Service, bed: Bed) -> None:
    result = svc.kamalpy("accessory", "remove", "board", "-y")
    assert result.returncode == 0, result.stdout + result.stderr
    assert svc.ssh("h3", f"test -e {ROUTE} && echo left || echo gone").strip() == "gone"
    assert board(bed)[0] == 404
    assert svc.get("h3") == (200, "v1\n")
