from __future__ import annotations

import pytest
import yaml

from kamalpy.commands import proxy


@pytest.mark.parametrize(
    ("hosts", "prefix", "rule"),
    [
        ((), (), "PathPrefix(`/`)"),
        (("a.test",), (), "Host(`a.test`)"),
        (("a.test", "b.test"), ("/api",), "Host(`a.test`, `b.test`) && PathPrefix(`/api`)"),
        ((), ("/api", "/v2"), "(PathPrefix(`/api`) || PathPrefix(`/v2`))"),
        ((), ("/",), "PathPrefix(`/`)"),
    ],
)
def test_router_rule(hosts: tuple[str, ...], prefix: tuple[str, ...], rule: str) -> None:
    assert proxy.router_rule(hosts, prefix) == rule


def test_router_rule_refuses_backticks() -> None:
    with pytest.raises(ValueError, match="backtick"):
        proxy.router_rule(("a`) || Host(`b",), ())


def test_dynamic_config_points_at_container_with_short_idle_timeout() -> None:
    route = proxy.Route("hey-web", ("a.test",), (), "hey-web-v2", 3000)
    content = proxy.render_dynamic_config(route, version="v2")
    assert content.startswith(b"# kamalpy: hey-web -> hey-web-v2 (version v2)\n")
    assert yaml.safe_load(content) == {
        "http": {
            "routers": {
                "hey-web": {"rule": "Host(`a.test`)", "service": "hey-web", "entryPoints": ["web"]}
            },
            "services": {
                "hey-web": {
                    "loadBalancer": {
                        "servers": [{"url": "http://hey-web-v2:3000"}],
                        "passHostHeader": True,
                        "serversTransport": "hey-web",
                    }
                }
            },
            "serversTransports": {
                "hey-web": {
                    "forwardingTimeouts": {
                        "dialTimeout": "5s",
                        "idleConnTimeout": "1s",
                        "responseHeaderTimeout": "30s",
                    }
                }
            },
        }
    }


def test_ssl_route_uses_websecure_resolver_and_redirects_http() -> None:
    route = proxy.Route("hey-web", ("a.test",), (), "hey-web-v2", 80, ssl=True)
    http = proxy.dynamic_config(route)["http"]
    assert isinstance(http, dict)
    assert http["routers"]["hey-web"]["tls"] == {"certResolver": "letsencrypt"}
    assert http["routers"]["hey-web"]["entryPoints"] == ["websecure"]
    assert http["routers"]["hey-web-http"]["middlewares"] == ["hey-web-https-redirect"]


def test_paths_keep_temp_file_in_watched_directory_with_ignored_suffix() -> None:
    assert proxy.config_path("hey", "web", "prod") == ".kamal/proxy/dynamic/hey-web-prod.yml"
    temp = proxy.temp_path("hey", "web", None, "v2")
    assert temp == ".kamal/proxy/dynamic/.hey-web.v2.tmp"
    assert proxy.rename_argv(temp, "x.yml") == ("mv", "-f", "--", temp, "x.yml")


def test_proxy_run_mounts_directory_and_binds_api_to_loopback() -> None:
    argv = proxy.run_argv(proxy.ProxySettings(image="127.0.0.1:5000/traefik:v3", api_port=8089))
    assert argv[:2] == ("sh", "-c")
    assert '"$HOME/.kamal/proxy/dynamic:/etc/traefik/dynamic:ro"' in argv[2]
    rest = argv[3:]
    assert rest[:8] == (
        "kamalpy-proxy-boot", "--detach", "--restart", "unless-stopped",
        "--name", "kamal-proxy", "--network", "kamal",
    )  # fmt: skip
    assert rest[rest.index("127.0.0.1:8089:8080") - 1 :][:2] == ("--publish", "127.0.0.1:8089:8080")
    image_at = rest.index("127.0.0.1:5000/traefik:v3")
    flags = rest[image_at + 1 :]
    assert "--providers.file.directory=/etc/traefik/dynamic" in flags
    assert "--providers.file.watch=true" in flags
    assert not any(f.startswith("--entrypoints.websecure") for f in flags)


def test_proxy_ssl_flags_store_certificates_on_volume() -> None:
    flags = proxy.static_flags(proxy.ProxySettings(ssl=True, acme_email="ops@a.test"))
    assert "--entrypoints.websecure.address=:443" in flags
    assert "--certificatesresolvers.letsencrypt.acme.httpchallenge.entrypoint=web" in flags
    assert "--certificatesresolvers.letsencrypt.acme.storage=/etc/traefik/acme/acme.json" in flags
    assert "--certificatesresolvers.letsencrypt.acme.email=ops@a.test" in flags


def test_path_prefix_is_stripped_by_default_like_kamal() -> None:
    route = proxy.Route("hey-web", (), ("/api",), "hey-web-v2", 80)
    http = proxy.dynamic_config(route)["http"]
    assert isinstance(http, dict)
    assert http["routers"]["hey-web"]["middlewares"] == ["hey-web-strip-prefix"]
    assert http["middlewares"] == {"hey-web-strip-prefix": {"stripPrefix": {"prefixes": ["/api"]}}}


def test_maintenance_config_keeps_the_router_with_no_server() -> None:
    route = proxy.Route("hey-web", ("a.test",), (), "hey-web-v2", 80)
    config = yaml.safe_load(proxy.render_maintenance_config(route))
    assert config["http"]["routers"]["hey-web"]["rule"] == "Host(`a.test`)"
    assert config["http"]["services"]["hey-web"]["loadBalancer"]["servers"] == []


def test_ssl_without_redirect_serves_plain_http_too() -> None:
    route = proxy.Route("hey-web", ("hey.test",), (), "hey-web-v1", 80, ssl=True,
                        ssl_redirect=False)  # fmt: skip
    http = proxy.dynamic_config(route)["http"]
    assert http["routers"]["hey-web-http"] == {  # type: ignore[index]
        "rule": "Host(`hey.test`)", "service": "hey-web", "entryPoints": ["web"],
    }  # fmt: skip
    assert "middlewares" not in http  # type: ignore[operator]


def test_buffering_limits_become_a_middleware_on_both_routers() -> None:
    limits = proxy.BufferLimits(max_request_body=1000, max_response_body=0, memory=100)
    route = proxy.Route("hey-web", ("hey.test",), ("/api",), "hey-web-v1", 80, ssl=True,
                        ssl_redirect=False, buffering=limits)  # fmt: skip
    http = proxy.dynamic_config(route)["http"]
    assert http["middlewares"]["hey-web-buffering"] == {  # type: ignore[index]
        "buffering": {"maxRequestBodyBytes": 1000, "memRequestBodyBytes": 100,
                      "maxResponseBodyBytes": 0, "memResponseBodyBytes": 100},
    }  # fmt: skip
    expected = ["hey-web-strip-prefix", "hey-web-buffering"]
    assert http["routers"]["hey-web"]["middlewares"] == expected  # type: ignore[index]
    assert http["routers"]["hey-web-http"]["middlewares"] == expected  # type: ignore[index]


def test_forwarded_headers_are_trusted_per_entrypoint_only_when_asked() -> None:
    assert not any("forwardedHeaders" in f for f in proxy.static_flags(proxy.ProxySettings()))
    flags = proxy.static_flags(proxy.ProxySettings(ssl=True, trust_forwarded_headers=True))
    assert "--entrypoints.web.forwardedHeaders.insecure=true" in flags
    assert "--entrypoints.websecure.forwardedHeaders.insecure=true" in flags


def test_acme_directory_and_email_come_from_x_kamalpy() -> None:
    from dataclasses import replace

    from kamalpy.config.model import KamalpyExtras
    from kamalpy.plan import proxy_settings
    from tests.unit.deploy.sample import sample_config

    extras = KamalpyExtras(acme_ca_server="https://ca.test/dir", acme_email="ops@x.test")
    settings = proxy_settings(replace(sample_config(), extras=extras))
    flags = proxy.static_flags(replace(settings, ssl=True))
    assert "--certificatesresolvers.letsencrypt.acme.caserver=https://ca.test/dir" in flags
    assert "--certificatesresolvers.letsencrypt.acme.email=ops@x.test" in flags


def test_a_custom_certificate_replaces_the_acme_resolver() -> None:
    route = proxy.Route("hey-web", ("hey.test",), (), "hey-web-v1", 80, ssl=True, custom_cert=True)
    config = proxy.dynamic_config(route)
    assert config["http"]["routers"]["hey-web"]["tls"] == {}  # type: ignore[index]
    assert config["tls"] == {
        "certificates": [{
            "certFile": "/etc/traefik/dynamic/certs/hey-web.crt",
            "keyFile": "/etc/traefik/dynamic/certs/hey-web.key",
        }]
    }  # fmt: skip


def test_static_flags_in_full_with_every_acme_option() -> None:
    settings = proxy.ProxySettings(ssl=True, acme_email="ops@a.test", acme_ca_pem="PEM",
                                   acme_ca_server="https://ca.test/dir")  # fmt: skip
    resolver = "--certificatesresolvers.letsencrypt.acme"
    assert proxy.static_flags(settings) == (
        "--entrypoints.web.address=:80", "--providers.file.directory=/etc/traefik/dynamic",
        "--providers.file.watch=true", "--providers.providersThrottleDuration=100ms",
        "--api=true", "--api.insecure=true", "--entrypoints.traefik.address=:8080",
        "--ping=true", "--log.level=WARN", "--entrypoints.websecure.address=:443",
        f"{resolver}.httpchallenge=true", f"{resolver}.httpchallenge.entrypoint=web",
        f"{resolver}.storage=/etc/traefik/acme/acme.json", f"{resolver}.email=ops@a.test",
        f"{resolver}.cacertificates=/etc/traefik/acme/ca.pem",
        f"{resolver}.caserver=https://ca.test/dir",
    )  # fmt: skip


def test_run_argv_labels_the_container_as_kamalpy_s_traefik() -> None:
    argv = proxy.run_argv(proxy.ProxySettings(bind_ips=("[::1]", "10.0.0.1")))
    assert argv[4:13] == (
        "--detach", "--restart", "unless-stopped", "--name", "kamal-proxy", "--network", "kamal",
        "--label", "org.kamalpy.proxy=traefik",
    )  # fmt: skip
    assert argv[13:19] == (
        "--publish", "[::1]:80:80", "--publish", "10.0.0.1:80:80",  # bracketed once only
        "--publish", "127.0.0.1:8089:8080",
    )  # fmt: skip


def test_a_temp_config_sits_beside_the_live_one_hidden_and_versioned() -> None:
    assert (
        proxy.temp_path("hey", "web", "prod", "v2") == ".kamal/proxy/dynamic/.hey-web-prod.v2.tmp"
    )
    assert proxy.temp_path("hey", "web", None, "v2") == ".kamal/proxy/dynamic/.hey-web.v2.tmp"


def test_the_rendered_route_file_in_full() -> None:
    route = proxy.Route("hey-web", ("hey.test",), (), "hey-web-v2", 3000)
    assert proxy.render_dynamic_config(route, version="v2").decode() == (
        "# kamalpy: hey-web -> hey-web-v2 (version v2)\n"
        "http:\n"
        "  routers:\n"
        "    hey-web:\n"
        "      entryPoints:\n"
        "      - web\n"
        "      rule: Host(`hey.test`)\n"
        "      service: hey-web\n"
        "  serversTransports:\n"
        "    hey-web:\n"
        "      forwardingTimeouts:\n"
        "        dialTimeout: 5s\n"
        "        idleConnTimeout: 1s\n"
        "        responseHeaderTimeout: 30s\n"
        "  services:\n"
        "    hey-web:\n"
        "      loadBalancer:\n"
        "        passHostHeader: true\n"
        "        servers:\n"
        "        - url: http://hey-web-v2:3000\n"
        "        serversTransport: hey-web\n"
    )


def test_ssl_redirects_plain_http_permanently_and_a_bare_slash_is_no_prefix() -> None:
    route = proxy.Route("w", ("a.test",), ("/", ""), "w-v1", 80, ssl=True)
    http = proxy.dynamic_config(route)["http"]
    assert http["middlewares"] == {  # type: ignore[index]
        "w-https-redirect": {"redirectScheme": {"scheme": "https", "permanent": True}},
    }  # fmt: skip
    assert http["routers"]["w"]["rule"] == "Host(`a.test`)"  # type: ignore[index]
    assert proxy.router_rule(("a.test",), ("/",)) == "Host(`a.test`)"


def test_buffering_alone_is_the_only_middleware() -> None:
    limits = proxy.BufferLimits(max_request_body=1, max_response_body=2, memory=3)
    route = proxy.Route("w", (), (), "w-v1", 80, buffering=limits)
    http = proxy.dynamic_config(route)["http"]
    assert http["routers"]["w"]["middlewares"] == ["w-buffering"]  # type: ignore[index]


def test_a_custom_certificate_without_ssl_adds_no_tls_section() -> None:
    plain = proxy.Route("w", ("a.test",), (), "w-v1", 80, custom_cert=True)
    assert set(proxy.dynamic_config(plain)) == {"http"}
    secure = proxy.Route("w", ("a.test",), (), "w-v1", 80, ssl=True, custom_cert=True)
    assert set(proxy.dynamic_config(secure)) == {"http", "tls"}
