from __future__ import annotations

import pytest

from kamalpy.commands import proxy_api

# Bodies as Traefik v3.7's API answers them (recorded from `traefik` with kamalpy's route files).
LIVE = (
    '{"loadBalancer":{"servers":[{"url":"http://hey-web-v1:80"}],"strategy":"wrr",'
    '"passHostHeader":true,"responseForwarding":{"flushInterval":"100ms"},'
    '"serversTransport":"hey-web@file"},"status":"enabled","usedBy":["hey-web@file"],'
    '"name":"hey-web@file","provider":"file","type":"loadbalancer",'
    '"serverStatus":{"http://hey-web-v1:80":"UP"}}'
)
MAINTENANCE = (
    '{"loadBalancer":{"strategy":"wrr","passHostHeader":true,'
    '"responseForwarding":{"flushInterval":"100ms"},"serversTransport":"hey-web@file"},'
    '"status":"enabled","usedBy":["hey-web@file"],"name":"hey-web@file","provider":"file",'
    '"type":"loadbalancer"}'
)
NOT_FOUND = '{"message":"service not found: hey-web@file"}'


def http(status: str, body: str) -> str:
    return f"HTTP/1.0 {status}\r\nContent-Type: application/json\r\n\r\n{body}\n"


def test_service_resource_is_the_file_providers_name() -> None:
    assert proxy_api.service_resource("hey-web-prod") == "http/services/hey-web-prod@file"


@pytest.mark.parametrize(
    ("raw", "servers"),
    [
        (http("200 OK", LIVE), ("http://hey-web-v1:80",)),
        (http("200 OK", MAINTENANCE), ()),  # Traefik omits `servers` when the list is empty
        (http("404 Not Found", NOT_FOUND), None),  # file not loaded yet
        (http("200 OK", '{"weighted":{}}'), None),  # not a load balancer
        (http("200 OK", "not json"), None),
        ("", None),  # the proxy did not answer
    ],
)
def test_reported_servers_reads_the_load_balancers_urls(
    raw: str, servers: tuple[str, ...] | None
) -> None:
    assert proxy_api.reported_servers(raw) == servers


def test_describe_servers_for_errors() -> None:
    assert proxy_api.describe_servers(("http://a:80", "http://b:80")) == "http://a:80, http://b:80"
    assert proxy_api.describe_servers(()) == "no server"
    assert proxy_api.describe_servers(None) == "nothing (no answer, or no such service)"


@pytest.mark.parametrize(
    ("body", "servers"),
    [
        ("[]", None),  # not a service object
        ('"text"', None),
        ('{"loadBalancer": {"servers": [{"url": "http://a:80"}, {"weight": 1}, "junk"]}}',
         ("http://a:80", "")),
        ('{"loadBalancer": {"servers": null}}', ()),
        ('{"loadBalancer": {"servers": {"url": "x"}}}', None),
    ],
)  # fmt: skip
def test_reported_servers_of_odd_answers(body: str, servers: tuple[str, ...] | None) -> None:
    raw = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{body}"
    assert proxy_api.reported_servers(raw) == servers
