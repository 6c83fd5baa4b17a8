"""The proxy's recorded run configuration: the label, reading it back, and when to replace it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from kamalpy.commands import proxy, proxy_config
from kamalpy.commands.proxy_config import Running, differences, drift, merged, parse_inspect

BASE = proxy.ProxySettings(image="r:5000/traefik:v3")
TLS = replace(BASE, ssl=True, acme_ca_server="https://ca.test/dir", acme_email="ops@a.test",
              acme_ca_pem="-----BEGIN CERTIFICATE-----\n")  # fmt: skip


def running(settings: proxy.ProxySettings, status: str = "running") -> Running:
    return Running(status, True, proxy_config.record(settings))


def test_boot_records_the_settings_on_the_container_as_a_label() -> None:
    argv = proxy_config.boot_argv(BASE)
    value = argv[argv.index("--label", argv.index("org.kamalpy.proxy=traefik")) + 1]
    key, _, recorded = value.partition("=")
    assert key == proxy_config.CONFIG_LABEL
    assert json.loads(recorded) == {
        "api_port": 8089, "forward_headers": False, "http_port": 80,
        "image": "r:5000/traefik:v3", "run": proxy_config.record(BASE)["run"], "ssl": False,
    }  # fmt: skip
    # Apart from the label, the very same `docker run` as before.
    at = argv.index(value)
    assert argv[: at - 1] + argv[at + 1 :] == proxy.run_argv(BASE)


def test_the_record_holds_no_pem_only_its_digest() -> None:
    recorded = proxy_config.label_value(TLS)
    assert "BEGIN" not in recorded
    assert len(json.loads(recorded)["acme_ca_certificates"]) == 16


@pytest.mark.parametrize(
    ("stdout", "ok", "expected"),
    [
        ("", False, None),
        ('running {"org.kamalpy.proxy":"traefik"}', True, Running("running", True, None)),
        ('exited {"org.kamalpy.proxy":"traefik","org.kamalpy.proxy-config":"{\\"ssl\\":true}"}',
         True, Running("exited", True, {"ssl": True})),
        ("running null", True, Running("running", False, None)),  # Kamal's own kamal-proxy
        ('running {"org.kamalpy.proxy-config":"not json"}', True, Running("running", False, None)),
    ],
)  # fmt: skip
def test_parse_inspect(stdout: str, ok: bool, expected: Running | None) -> None:
    assert parse_inspect(ok, stdout + "\n") == expected


def test_an_unchanged_configuration_is_no_drift() -> None:
    assert drift(BASE, running(BASE)) is None
    assert drift(TLS, running(TLS)) is None
    assert drift(BASE, running(BASE, status="exited")) is None


@pytest.mark.parametrize(
    ("wanted", "said"),
    [
        (TLS, "acme_ca_certificates unset -> "),
        (replace(BASE, image="r:5000/traefik:v3.2"),
         'image "r:5000/traefik:v3" -> "r:5000/traefik:v3.2"'),
        (replace(BASE, http_port=8080), "http_port 80 -> 8080"),
        (replace(BASE, bind_ips=("10.0.0.1",)), 'bind_ips unset -> ["10.0.0.1"]'),
        (replace(BASE, trust_forwarded_headers=True), "forward_headers false -> true"),
    ],
)  # fmt: skip
def test_a_changed_configuration_is_a_drift_saying_why(
    wanted: proxy.ProxySettings, said: str
) -> None:
    found = drift(wanted, running(BASE))
    assert found is not None and said in found.why
    assert found.settings == wanted


def test_turning_tls_on_says_so() -> None:
    found = drift(replace(BASE, ssl=True), running(BASE))
    assert found is not None and found.why == "https_port unset -> 443; ssl false -> true"


def test_a_proxy_without_a_record_is_replaced_once_and_a_foreign_one_never() -> None:
    found = drift(BASE, Running("running", True, None))
    assert found is not None and "not recorded" in found.why
    assert drift(BASE, Running("running", False, None)) is None


def test_only_the_run_digest_differs_when_kamalpy_runs_it_differently() -> None:
    rec = {**proxy_config.record(BASE), "run": "0" * 16}
    assert differences(rec, BASE) == ["this kamalpy runs it with other flags"]


def test_a_service_without_tls_keeps_the_tls_another_service_turned_on() -> None:
    wanted = merged(BASE, proxy_config.record(TLS))
    assert wanted.ssl and wanted.acme_ca_server == TLS.acme_ca_server
    assert wanted.acme_ca_pem is None and wanted.acme_ca_digest is not None
    assert proxy.static_flags(wanted) == proxy.static_flags(TLS)
    assert drift(BASE, running(TLS)) is None
    assert drift(replace(BASE, trust_forwarded_headers=False),
                 running(replace(BASE, trust_forwarded_headers=True))) is None  # fmt: skip


def test_a_custom_certificate_service_keeps_the_acme_server_of_another() -> None:
    custom = replace(BASE, ssl=True)  # ssl from custom certificates, no ACME settings of its own
    assert drift(custom, running(TLS)) is None
    found = drift(replace(custom, image="r:5000/traefik:v3.2"), running(TLS))
    assert found is not None and found.why.startswith("image ")
    assert proxy.static_flags(found.settings) == proxy.static_flags(
        replace(TLS, image="r:5000/traefik:v3.2")
    )


def test_combined_settings_of_services_sharing_a_host() -> None:
    both = proxy_config.combined([BASE, TLS])
    assert both.ssl and both.image == BASE.image and both.acme_email == TLS.acme_email
    assert proxy_config.combined([BASE]) == BASE
