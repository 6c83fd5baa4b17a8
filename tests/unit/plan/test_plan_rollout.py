"""What a deploy rolls out in which order: roles, boot batches, and how many containers stay."""

from __future__ import annotations

import dataclasses

import pytest

from kamalpy.config.model import Boot, Configuration
from kamalpy.plan import deploy_plan
from tests.unit.deploy.sample import HOSTS, sample_config


def with_boot(limit: int | str | None, wait: int | None = None) -> Configuration:
    return dataclasses.replace(sample_config(), boot=Boot(limit=limit, wait=wait))


@pytest.mark.parametrize(
    ("limit", "batches"),
    [
        (None, [HOSTS]),
        (1, [HOSTS[:1], HOSTS[1:2], HOSTS[2:]]),
        (2, [HOSTS[:2], HOSTS[2:]]),
        (3, [HOSTS]),
        (4, [HOSTS]),
        (0, [HOSTS[:1], HOSTS[1:2], HOSTS[2:]]),  # never an empty batch
        ("33%", [HOSTS[:1], HOSTS[1:2], HOSTS[2:]]),  # 3 * 33 // 100 = 0 -> at least one
        ("34%", [HOSTS[:1], HOSTS[1:2], HOSTS[2:]]),
        ("67%", [HOSTS[:2], HOSTS[2:]]),
        ("66%", [HOSTS[:1], HOSTS[1:2], HOSTS[2:]]),  # 1.98 rounds down
        ("100%", [HOSTS]),
    ],
)
def test_boot_limit_splits_a_role_s_hosts_into_batches_in_host_order(
    limit: int | str | None, batches: list[tuple[str, ...]]
) -> None:
    web = deploy_plan(with_boot(limit)).roles[0]
    assert web.role == "web"
    assert [tuple(step.host for step in batch) for batch in web.batches] == batches


def test_boot_limit_applies_per_role() -> None:
    plan = deploy_plan(with_boot(2))
    assert [len(batch) for batch in plan.roles[1].batches] == [1]  # workers: one host


@pytest.mark.parametrize("wait", [None, 0, 7])
def test_boot_wait_reaches_every_role_plan(wait: int | None) -> None:
    assert [r.boot_wait for r in deploy_plan(with_boot(1, wait)).roles] == [wait, wait]


def test_the_primary_role_goes_first_even_when_it_sorts_last() -> None:
    config = dataclasses.replace(sample_config(), primary_role="workers")
    assert [r.role for r in deploy_plan(config).roles] == ["workers", "web"]
    assert [r.role for r in deploy_plan(sample_config()).roles] == ["web", "workers"]


def test_roles_after_the_primary_keep_name_order_whatever_the_file_order() -> None:
    base = sample_config()
    web, workers = base.roles
    extra = dataclasses.replace(web, name="api", proxy=None)
    config = dataclasses.replace(base, roles=(workers, web, extra), primary_role="web")
    assert [r.role for r in deploy_plan(config).roles] == ["web", "api", "workers"]


@pytest.mark.parametrize(("retain", "keep"), [(0, "0"), (1, "0"), (2, "1"), (5, "4")])
def test_retention_keeps_retain_minus_the_running_one_stopped(retain: int, keep: str) -> None:
    config = dataclasses.replace(sample_config(), retain_containers=retain)
    for role in deploy_plan(config).roles:
        for step in role.hosts:
            assert step.prune[-1] == keep
            assert step.retire[-1] == keep
