"""The pieces a plan is made of, each compared whole: proxy settings, container, route, switch."""

from __future__ import annotations

import dataclasses

import pytest

from kamalpy.commands import app, proxy
from kamalpy.config.model import Configuration, Env, Logging, Proxy, ProxyRun, frozen_map
from kamalpy.config.sections import KamalpyExtras
from kamalpy.plan import container_spec, deploy_plan, proxy_settings, role_route
from tests.unit.deploy.sample import HOSTS, sample_config


def rich_config() -> Configuration:
    """Destination, host tags, labels, options, logging, volumes and a full proxy section."""
    base = sample_config(destination="prod")
    web, workers = base.roles
    routed = Proxy(hosts=("hey.test", "www.hey.test"), app_port=3000, ssl=True,
                   response_timeout=90, path_prefixes=("/api",),
                   strip_path_prefix=False)  # fmt: skip
    env = dataclasses.replace(web.env, tags=frozen_map({"big": Env(frozen_map({"SIZE": "L"}))}))
    web = dataclasses.replace(
        web, host_tags=frozen_map({HOSTS[1]: ("big",)}), labels=frozen_map({"team": "a"}),
        options=("--cpus", "2"), logging=Logging("json-file", frozen_map({"max-size": "5m"})),
        proxy=routed, env=env,
    )  # fmt: skip
    return dataclasses.replace(base, roles=(web, workers), volumes=("/data:/data",))


def test_the_container_spec_carries_every_role_and_host_setting() -> None:
    config = rich_config()
    web = config.roles[0]
    assert container_spec(config, web, HOSTS[1], {"extra": "1"}) == app.AppContainer(
        service="hey", role="web", destination="prod", version="v2",
        image=config.absolute_image, host=HOSTS[1], env={"CLEAR": "1", "SIZE": "L"},
        env_file=".kamal/apps/hey-prod/env/roles/web.env", labels={"team": "a", "extra": "1"},
        volumes=("/data:/data",), options=("--cpus", "2"),
        logging=("--log-driver", "json-file", "--log-opt", "max-size=5m"), cmd=(),
    )  # fmt: skip
    assert container_spec(config, web, HOSTS[0]).env == {"CLEAR": "1"}  # untagged host
    assert container_spec(config, config.roles[1], HOSTS[0]).logging == app.DEFAULT_LOGGING


def test_the_route_carries_the_role_s_proxy_settings() -> None:
    config = rich_config()
    web = config.roles[0]
    assert web.proxy is not None
    assert role_route(config, web, web.proxy, "hey-web-prod-v2") == proxy.Route(
        name="hey-web-prod", hosts=("hey.test", "www.hey.test"), path_prefixes=("/api",),
        backend="hey-web-prod-v2", app_port=3000, ssl=True, response_timeout=90,
        strip_path_prefix=False,
    )  # fmt: skip


def test_the_switch_writes_a_versioned_temp_file_then_the_route() -> None:
    config = rich_config()
    web = config.roles[0]
    assert web.proxy is not None
    step = deploy_plan(config).roles[0].hosts[0]
    assert step.switch is not None
    assert step.switch.temp == proxy.temp_path("hey", "web", "prod", "v2")
    assert step.switch.path == proxy.config_path("hey", "web", "prod")
    assert step.switch.backend_url == "http://hey-web-prod-v2:3000"
    route = role_route(config, web, web.proxy, "hey-web-prod-v2")
    assert step.switch.content == proxy.render_dynamic_config(route, version="v2")


def test_a_host_step_s_diagnostics_and_cleanup_name_its_container() -> None:
    step = deploy_plan(rich_config()).roles[0].hosts[1]
    assert step.logs == app.logs_argv("hey-web-prod-v2", lines=50)
    assert step.health_log == app.health_log_argv("hey-web-prod-v2")
    assert step.remove_new == app.remove_argv(["hey-web-prod-v2"])
    assert step.clear_env_names == ("CLEAR", "SIZE")
    assert step.in_flight is not None and step.in_flight[-6:] == (
        "kamalpy-drain", "3000", "hey", "prod", "web", "hey-web-prod-v2")  # fmt: skip


DEFAULT = proxy.ProxySettings(image="traefik:v3", http_port=80, https_port=443,
                              api_port=proxy.DEFAULT_API_PORT, ssl=False, bind_ips=())  # fmt: skip


@pytest.mark.parametrize(
    ("run", "extras", "expected"),
    [
        (None, KamalpyExtras(), DEFAULT),
        (ProxyRun(), KamalpyExtras(), DEFAULT),
        (ProxyRun(registry="r:5000"), KamalpyExtras(),
         dataclasses.replace(DEFAULT, image="r:5000/traefik:v3")),
        (ProxyRun(repository="me/traefik", version="v3.1", http_port=8080, https_port=8443,
                  bind_ips=("10.0.0.1",)), KamalpyExtras(proxy_api_port=9090),
         proxy.ProxySettings(image="me/traefik:v3.1", http_port=8080, https_port=8443,
                             api_port=9090, ssl=False, bind_ips=("10.0.0.1",))),
    ],
)  # fmt: skip
def test_proxy_settings_come_from_proxy_run_and_x_kamalpy(
    run: ProxyRun | None, extras: KamalpyExtras, expected: proxy.ProxySettings
) -> None:
    base = sample_config()
    web, workers = base.roles
    web = dataclasses.replace(web, proxy=Proxy())
    top = None if run is None else Proxy(run=run)
    config = dataclasses.replace(base, proxy=top, roles=(web, workers), extras=extras)
    assert proxy_settings(config) == expected


def test_the_proxy_serves_https_when_any_role_asks_for_ssl() -> None:
    assert proxy_settings(rich_config()).ssl is True
    assert proxy_settings(sample_config()).ssl is False
    assert proxy_settings(sample_config(), api_port=7000).api_port == 7000
