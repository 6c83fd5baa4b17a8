"""Deciding for many services: unreachable hosts stop the run unless --assume-changed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kamalpy.deploy.changes import ServiceState, decide_all
from kamalpy.errors import DeployFailed
from kamalpy.monorepo.observed import Running
from tests.support.configs import make_config, make_role

IMG, RT = "1" * 64, "2" * 64


@dataclass(frozen=True)
class Inputs:
    files: dict[str, str]


def state() -> ServiceState:
    config = make_config(roles=(make_role(hosts=("h1", "h2")),))
    return ServiceState(config, Inputs({}), IMG, {}, RT)  # type: ignore[arg-type]


def labelled(host: str) -> Running:
    return Running(host, "app-web-v1", "team/app:v1", "app", "web", "", IMG, RT, "a" * 40)


def test_an_unreachable_host_stops_the_decision_naming_it() -> None:
    with pytest.raises(DeployFailed) as raised:
        decide_all([state()], {"h1": (labelled("h1"),)}, {"h2": "ssh: connect timed out"},
                   force_all=False, assume_changed=False,
                   base_image_digest=lambda s, r: None)  # fmt: skip
    assert "cannot read what runs on h2 (h2: ssh: connect timed out)" in raised.value.message
    assert "--assume-changed" in (raised.value.hint or "")


def test_assume_changed_deploys_and_says_why() -> None:
    (decision,) = decide_all([state()], {"h1": (labelled("h1"),)}, {"h2": "timed out"},
                             force_all=False, assume_changed=True,
                             base_image_digest=lambda s, r: None)  # fmt: skip
    assert (decision.kind, decision.build, decision.deploy) == ("build+deploy", True, True)
    assert decision.reasons[-1].text == "h2 unreachable: --assume-changed"


def test_reachable_and_unchanged_is_skipped() -> None:
    (decision,) = decide_all([state()], {"h1": (labelled("h1"),), "h2": (labelled("h2"),)}, {},
                             force_all=False, assume_changed=False,
                             base_image_digest=lambda s, r: None)  # fmt: skip
    assert decision.kind == "skip"


def test_containers_of_another_destination_are_not_this_service() -> None:
    other = Running("h1", "app-web-prod-v1", "i", "app", "web", "prod", IMG, RT, "a" * 40)
    (decision,) = decide_all([state()], {"h1": (other,), "h2": (labelled("h2"),)}, {},
                             force_all=False, assume_changed=False,
                             base_image_digest=lambda s, r: None)  # fmt: skip
    assert (decision.kind, decision.build) == ("deploy", False)
    assert "not running on h1 (web)" in decision.reasons[0].text
