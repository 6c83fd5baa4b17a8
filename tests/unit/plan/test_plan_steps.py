"""A host step compared whole, proxied and not: every argv names the right service, role, dest."""

from __future__ import annotations

import dataclasses

from kamalpy.commands import app, app_scripts, drain, health
from kamalpy.commands.boot_script import Boot, Readiness
from kamalpy.config.model import Configuration
from kamalpy.config.sections import Healthcheck
from kamalpy.plan import HostStep, container_spec, deploy_plan
from tests.unit.deploy.sample import HOSTS
from tests.unit.plan.test_plan_parts import rich_config

LABELS = {"org.kamalpy.digest": "abc"}


def config_for_steps() -> Configuration:
    config = rich_config()
    web, workers = config.roles
    assert web.proxy is not None
    checked = dataclasses.replace(web.proxy, healthcheck=Healthcheck(path="/health", timeout=7))
    web = dataclasses.replace(web, proxy=checked)
    return dataclasses.replace(config, roles=(web, workers), drain_timeout=12, retain_containers=3)


def expected_step(role_index: int, host: str, *, rollback: bool = False) -> HostStep:
    config = config_for_steps()
    role = config.roles[role_index]
    name = f"hey-{role.name}-prod-v2"
    run = app.run_argv(container_spec(config, role, host, LABELS))
    p = role.proxy
    retire = app_scripts.retire_argv("hey", role.name, "prod", name, None if p else 12, 2)
    return HostStep(
        host=host, role=role.name, container=name,
        env_file=f".kamal/apps/hey-prod/env/roles/{role.name}.env",
        clear_env_names=tuple(role.env_for_host(host).clear),
        secret_env=(("DB_PASSWORD", "DB_PASSWORD"),), run=run,
        boot=Boot(name, run, rollback, None if p else Readiness(7, 30), None if p else retire),
        health=health.healthcheck_argv(name, 3000, "/health", timeout=7) if p else None,
        switch=None,
        in_flight=drain.in_flight_old_argv("hey", role.name, "prod", name, 3000) if p else None,
        retire=retire,
        prune=app_scripts.prune_containers_argv("hey", role.name, "prod", 2),
        logs=app.logs_argv(name, lines=50), health_log=app.health_log_argv(name),
        remove_new=app.remove_argv([name]),
    )  # fmt: skip


def test_a_proxied_host_step_is_exactly_what_its_role_and_host_need() -> None:
    step = deploy_plan(config_for_steps(), labels=LABELS).roles[0].hosts[1]
    assert step.switch is not None
    assert dataclasses.replace(step, switch=None) == expected_step(0, HOSTS[1])
    assert "org.kamalpy.digest=abc" in " ".join(step.run)


def test_an_unproxied_host_step_waits_drain_timeout_when_stopping_the_old() -> None:
    (workers,) = deploy_plan(config_for_steps(), roles=["workers"], labels=LABELS).roles
    assert workers.hosts == (expected_step(1, HOSTS[0]),)


def test_a_rollback_step_starts_the_retained_container() -> None:
    plan = deploy_plan(config_for_steps(), roles=["workers"], rollback=True, labels=LABELS)
    assert plan.roles[0].hosts == (expected_step(1, HOSTS[0], rollback=True),)
    assert plan.rollback is True and deploy_plan(config_for_steps()).rollback is False


def test_role_selection_keeps_only_the_named_roles_and_skips_roles_without_hosts() -> None:
    config = config_for_steps()
    assert [r.role for r in deploy_plan(config, roles=["web"]).roles] == ["web"]
    selected = deploy_plan(config, hosts=[HOSTS[2]], roles=["workers", "web"])
    assert [r.role for r in selected.roles] == ["web"]
    both = deploy_plan(config, hosts=[HOSTS[0]])
    assert [r.role for r in both.roles] == ["web", "workers"]
    # a role with no selected host is skipped, and the roles after it still come
    workers_first = dataclasses.replace(config, primary_role="workers")
    assert [r.role for r in deploy_plan(workers_first, hosts=[HOSTS[2]]).roles] == ["web"]


def test_the_deploy_plan_carries_the_config_s_scalars() -> None:
    config = config_for_steps()
    plan = deploy_plan(config)
    assert (plan.service, plan.destination, plan.version, plan.image) == (
        "hey", "prod", "v2", config.absolute_image)  # fmt: skip
    assert (plan.drain_timeout, plan.retain_containers, plan.deploy_timeout) == (12, 3, 30)
    assert (plan.health_interval, plan.health_timeout, plan.readiness_delay) == (1, 7, 7)
    assert plan.rollback is False and plan.primary_host == config.primary_host


def test_without_a_primary_host_the_first_selected_host_leads() -> None:
    base = config_for_steps()
    web, workers = base.roles
    config = dataclasses.replace(base, roles=(dataclasses.replace(web, hosts=()), workers))
    assert config.primary_host is None
    assert deploy_plan(config).primary_host == HOSTS[0]
    assert deploy_plan(config, hosts=["nowhere"]).primary_host == ""


def test_without_a_proxied_role_health_defaults_apply() -> None:
    base = config_for_steps()
    web, workers = base.roles
    plan = deploy_plan(
        dataclasses.replace(base, roles=(dataclasses.replace(web, proxy=None), workers))
    )
    assert (plan.health_interval, plan.health_timeout, plan.proxy_hosts) == (1, 5, ())
