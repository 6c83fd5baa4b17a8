"""proxy.run.bind_ips publishes the proxy's ports on those addresses only."""

from __future__ import annotations

from kamalpy.commands import proxy
from kamalpy.config.model import KamalpyExtras, Proxy, ProxyRun
from kamalpy.plan import proxy_settings
from tests.support.configs import make_config


def _publishes(argv: tuple[str, ...]) -> list[str]:
    return [argv[i + 1] for i, token in enumerate(argv) if token == "--publish"]


def test_without_bind_ips_ports_are_published_on_every_address() -> None:
    argv = proxy.run_argv(proxy.ProxySettings(http_port=8080))
    assert _publishes(argv) == ["8080:80", "127.0.0.1:8089:8080"]


def test_bind_ips_publish_each_port_once_per_address_ipv6_bracketed() -> None:
    settings = proxy.ProxySettings(http_port=18080, ssl=True, bind_ips=("127.0.0.1", "::1"))
    assert _publishes(proxy.run_argv(settings)) == [
        "127.0.0.1:18080:80", "[::1]:18080:80",
        "127.0.0.1:443:443", "[::1]:443:443",
        "127.0.0.1:8089:8080",
    ]  # fmt: skip


def test_plan_takes_bind_ips_image_and_api_port_from_the_config() -> None:
    run = ProxyRun(http_port=18080, bind_ips=("127.0.0.1",), repository="demo/traefik",
                   version="v3.7")  # fmt: skip
    config = make_config(proxy=Proxy(run=run), extras=KamalpyExtras(proxy_api_port=18089))
    settings = proxy_settings(config)
    assert settings.bind_ips == ("127.0.0.1",)
    assert settings.api_port == 18089
    assert settings.image == "demo/traefik:v3.7"
    assert settings.http_port == 18080
