"""Routes compared whole: buffering, error pages, TLS options; the proxy's ACME settings."""

from __future__ import annotations

import dataclasses

import pytest

from kamalpy.commands import proxy
from kamalpy.config.model import Buffering, Proxy
from kamalpy.config.sections import Healthcheck, KamalpyExtras, SslCertificate
from kamalpy.plan import (
    buffer_limits,
    container_spec,
    deploy_plan,
    proxy_settings,
    role_route,
    section_route,
)
from tests.unit.deploy.sample import HOSTS, sample_config

MIB, GIB = 1_048_576, 1_073_741_824


@pytest.mark.parametrize(
    ("buffering", "expected"),
    [
        (Buffering(), None),  # Kamal's defaults: Traefik streams
        (Buffering(requests=False, responses=False, max_request_body=5), None),
        (Buffering(max_request_body=10), proxy.BufferLimits(10, 0, MIB)),
        (Buffering(requests=False, max_response_body=7), proxy.BufferLimits(0, 7, MIB)),
        (Buffering(responses=False, max_response_body=7, memory=5), proxy.BufferLimits(GIB, 0, 5)),
        (Buffering(requests=True, responses=True, max_response_body=9, memory=3),
         proxy.BufferLimits(GIB, 9, 3)),
    ],
)  # fmt: skip
def test_buffering_only_when_deploy_yml_changes_the_defaults(
    buffering: Buffering, expected: proxy.BufferLimits | None
) -> None:
    assert buffer_limits(Proxy(buffering=buffering)) == expected


def test_a_section_route_carries_every_option_of_its_proxy_section() -> None:
    section = Proxy(
        hosts=("a.test",), path_prefixes=("/x",), app_port=8080, ssl=True, response_timeout=5,
        strip_path_prefix=False, ssl_redirect=False, buffering=Buffering(max_request_body=10),
        ssl_certificate=SslCertificate("CERT_PEM", "KEY_PEM"),
    )  # fmt: skip
    assert section_route(section, "svc-db", "svc-db") == proxy.Route(
        name="svc-db", hosts=("a.test",), path_prefixes=("/x",), backend="svc-db",
        app_port=8080, ssl=True, response_timeout=5, strip_path_prefix=False,
        ssl_redirect=False, buffering=proxy.BufferLimits(10, 0, MIB), custom_cert=True,
    )  # fmt: skip


def test_a_role_route_names_the_service_s_error_pages_when_it_has_some() -> None:
    base = sample_config(destination="prod")
    web = base.roles[0]
    section = Proxy(hosts=("hey.test",))
    plain = role_route(base, web, section, "hey-web-prod-v2")
    assert plain == section_route(section, "hey-web-prod", "hey-web-prod-v2")  # no pages
    pages = (("404.html", "gone"), ("502.html", "down"))
    config = dataclasses.replace(base, error_pages=pages)
    assert role_route(config, web, section, "hey-web-prod-v2") == dataclasses.replace(
        plain, error_pages=("404.html", "502.html"), error_pages_dir="hey-prod"
    )


def test_the_proxy_takes_acme_settings_and_forwarded_headers_from_the_roles() -> None:
    base = sample_config()
    web, workers = base.roles
    extras = KamalpyExtras(
        acme_ca_server="https://ca.test/dir", acme_email="ops@hey.test", acme_ca_pem="PEM"
    )
    forwarded = dataclasses.replace(web, proxy=Proxy(forward_headers=True, ssl=True, hosts=("h",)))
    config = dataclasses.replace(base, roles=(forwarded, workers), extras=extras)
    settings = proxy_settings(config)
    assert (settings.acme_ca_server, settings.acme_email, settings.acme_ca_pem) == (
        "https://ca.test/dir", "ops@hey.test", "PEM")  # fmt: skip
    assert settings.ssl is True and settings.trust_forwarded_headers is True
    unforwarded = dataclasses.replace(web, proxy=Proxy(ssl=True, hosts=("h",)))
    plain = dataclasses.replace(base, roles=(unforwarded, workers))
    assert proxy_settings(plain).trust_forwarded_headers is False  # ssl: headers not trusted


def test_a_worker_s_container_runs_its_role_s_cmd() -> None:
    config = sample_config()
    workers = config.roles[1]
    assert container_spec(config, workers, HOSTS[0]).cmd == ("sleep", "1000")


@pytest.mark.parametrize(("delay", "timeout", "limit"), [(30, 10, 35), (7, 10, 12), (1, 60, 60)])
def test_a_worker_waits_the_deploy_timeout_or_its_readiness_delay_plus_five(
    delay: int, timeout: int, limit: int
) -> None:
    config = dataclasses.replace(sample_config(), readiness_delay=delay, deploy_timeout=timeout)
    step = next(p for p in deploy_plan(config).roles if p.role == "workers").batches[0][0]
    assert step.boot.ready is not None
    assert (step.boot.ready.delay, step.boot.ready.limit) == (delay, limit)


def test_the_deploy_plan_takes_the_api_port_and_the_health_interval() -> None:
    base = sample_config()
    web, workers = base.roles
    assert web.proxy is not None
    checked = dataclasses.replace(web.proxy, healthcheck=Healthcheck(interval=4))
    config = dataclasses.replace(base, roles=(dataclasses.replace(web, proxy=checked), workers))
    plan = deploy_plan(config, api_port=7001)
    assert (plan.proxy.api_port, plan.health_interval) == (7001, 4)
