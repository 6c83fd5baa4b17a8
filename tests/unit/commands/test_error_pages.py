"""Error pages: Traefik `errors` middlewares per service route, fetched from the page server."""

from __future__ import annotations

import pytest
import yaml

from kamalpy.commands import error_pages, proxy


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (("4xx.html",), {"shop-web-error-pages-4xx": (["400-499"], "/shop/4xx.html")}),
        (("4xx.html", "5xx.html"), {
            "shop-web-error-pages-4xx": (["400-499"], "/shop/4xx.html"),
            "shop-web-error-pages-5xx": (["500-599"], "/shop/5xx.html"),
        }),
        (("404.html", "4xx.html", "500.html", "503.html", "5xx.html"), {
            "shop-web-error-pages": (["404", "500", "503"], "/shop/{status}.html"),
            "shop-web-error-pages-4xx": (["400-403", "405-499"], "/shop/4xx.html"),
            "shop-web-error-pages-5xx": (["501-502", "504-599"], "/shop/5xx.html"),
        }),
        (("502.html", "503.html"), {
            "shop-web-error-pages": (["502", "503"], "/shop/{status}.html"),
        }),
        (("400.html", "401.html", "499.html", "4xx.html"), {
            "shop-web-error-pages": (["400", "401", "499"], "/shop/{status}.html"),
            "shop-web-error-pages-4xx": (["402-498"], "/shop/4xx.html"),
        }),
    ],
)  # fmt: skip
def test_each_status_gets_exactly_one_page(
    pages: tuple[str, ...], expected: dict[str, tuple[list[str], str]]
) -> None:
    found = error_pages.middlewares("shop-web", "shop", pages)
    assert {
        name: (m["errors"]["status"], m["errors"]["query"])  # type: ignore[index]
        for name, m in found.items()
    } == expected
    assert all(m["errors"]["service"] == "shop-web-error-pages" for m in found.values())  # type: ignore[index]


def test_a_route_with_pages_puts_them_outermost_and_names_the_page_server() -> None:
    route = proxy.Route("shop-web", ("shop.test",), ("/app",), "shop-web-v1", 80,
                        error_pages=("5xx.html",), error_pages_dir="shop")  # fmt: skip
    config = yaml.safe_load(proxy.render_dynamic_config(route, version="v1"))
    http = config["http"]
    assert http["routers"]["shop-web"]["middlewares"] == [
        "shop-web-error-pages-5xx", "shop-web-strip-prefix",
    ]  # fmt: skip
    assert http["services"]["shop-web-error-pages"] == {
        "loadBalancer": {"servers": [{"url": "http://kamal-proxy-pages:8080"}]}
    }
    # The switch reads back only the app's server, never the page server.
    assert proxy.route_servers(proxy.render_dynamic_config(route, version="v1")) == (
        "http://shop-web-v1:80",
    )


def test_a_route_without_pages_is_unchanged() -> None:
    route = proxy.Route("shop-web", ("shop.test",), (), "shop-web-v1", 80)
    http = yaml.safe_load(proxy.render_dynamic_config(route, version="v1"))["http"]
    assert "middlewares" not in http and list(http["services"]) == ["shop-web"]


def test_the_page_server_is_not_published_and_reads_the_pages_read_only() -> None:
    argv = error_pages.server_run_argv("r:5000/busybox:1.37")
    assert "--publish" not in argv and '"$HOME/.kamal/proxy/error_pages:/pages:ro"' in argv[2]
    assert argv[-7:] == ("r:5000/busybox:1.37", "httpd", "-f", "-p", "8080", "-h", "/pages")
