from __future__ import annotations

import yaml

from kamalpy.commands.boot_script import Boot
from kamalpy.plan import deploy_plan
from tests.unit.deploy.sample import HOSTS, sample_config


def test_plan_orders_primary_role_first_with_proxy_only_where_proxied() -> None:
    plan = deploy_plan(sample_config())
    assert [r.role for r in plan.roles] == ["web", "workers"]
    assert plan.proxy_hosts == HOSTS
    assert plan.primary_host == HOSTS[0]
    assert plan.proxy.image == "127.0.0.1:5000/traefik:v3"
    web, workers = plan.roles
    assert web.proxied and not workers.proxied
    assert [s.host for s in web.hosts] == list(HOSTS)
    assert workers.hosts[0].switch is None and workers.hosts[0].health is None


def test_plan_host_step_names_paths_and_route() -> None:
    step = deploy_plan(sample_config(destination="prod")).roles[0].hosts[1]
    assert step.container == "hey-web-prod-v2"
    assert step.env_file == ".kamal/apps/hey-prod/env/roles/web.env"
    assert step.secret_env == (("DB_PASSWORD", "DB_PASSWORD"),)
    assert step.switch is not None
    assert step.switch.path == ".kamal/proxy/dynamic/hey-web-prod.yml"
    assert step.switch.api_resource == "http/services/hey-web-prod@file"
    route = yaml.safe_load(step.switch.content)
    servers = route["http"]["services"]["hey-web-prod"]["loadBalancer"]["servers"]
    assert servers == [{"url": "http://hey-web-prod-v2:80"}]
    assert "--env-file" in step.run and "KAMAL_HOST=10.0.0.2" in step.run


def test_plan_selection_by_hosts_and_roles() -> None:
    plan = deploy_plan(sample_config(), hosts=[HOSTS[2]], roles=None)
    assert [r.role for r in plan.roles] == ["web"]  # workers has no selected host
    assert plan.hosts == (HOSTS[2],)


def test_rollback_plan_starts_retained_container() -> None:
    step = deploy_plan(sample_config(version="v1"), rollback=True).roles[0].hosts[0]
    assert step.boot == Boot("hey-web-v1", step.run, start_existing=True)
