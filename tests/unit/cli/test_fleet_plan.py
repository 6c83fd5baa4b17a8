"""The monorepo deploy's pure parts: its version rule, saved-plan checks, and the plan's JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from kamalpy.cli.fleet_cmd import deploy_version, plan_differences
from kamalpy.cli.plan_render import plan_json, plan_lines
from kamalpy.deploy.changes import MonorepoPlan, ServiceState
from kamalpy.monorepo.decide import Wanted, decide
from kamalpy.monorepo.observed import Running
from kamalpy.monorepo.tree import Tree
from tests.support.configs import make_config

SCHEMA = json.loads((Path(__file__).parents[3] / "docs/plan.schema.json").read_text())
HEAD = "c" * 40
IMG, RT = "1" * 64, "2" * 64


@dataclass(frozen=True)
class Inputs:
    files: dict[str, str]
    rules: tuple[object, ...] = ()


def state(version: str = HEAD) -> ServiceState:
    config = make_config(version=version)
    inputs = Inputs({"services/app/app.py": "service-dir"})
    return ServiceState(config, inputs, IMG, {"env.clear.A": "ab"}, RT)  # type: ignore[arg-type]


def running(version: str, image: str = IMG, runtime: str = RT) -> Running:
    return Running("h1", f"app-web-{version}", f"team/app:{version}", "app", "web", "",
                   image, runtime, HEAD)  # fmt: skip


def plan_with(run: list[Running], dirty: frozenset[str] = frozenset()) -> MonorepoPlan:
    s = state()
    tree = Tree({"services/app/app.py": "9" * 40}, dirty=dirty, revision=HEAD)
    wanted = Wanted("app", None, (("web", "h1"),), IMG, RT)
    return MonorepoPlan(Path("/r"), HEAD, bool(dirty), (s,), (decide(wanted, run),),
                        {"h1": tuple(run)}, {}, tree)  # fmt: skip


def test_version_is_head_when_nothing_runs_under_that_name() -> None:
    plan = plan_with([running("old")])
    assert deploy_version(plan, state(), plan.decisions[0], explicit=False) == HEAD


def test_version_never_takes_the_name_of_a_running_container_with_other_digests() -> None:
    plan = plan_with([running(HEAD, IMG, "3" * 64)])
    version = deploy_version(plan, state(), plan.decisions[0], explicit=False)
    assert version.startswith(f"{HEAD}_") and len(version) == 49


def test_dirty_inputs_mark_the_version_uncommitted_unless_explicit() -> None:
    plan = plan_with([running("old")], dirty=frozenset({"services/app/app.py"}))
    decision = plan.decisions[0]
    assert deploy_version(plan, state(), decision, explicit=False) == (
        f"{HEAD}_uncommitted_{IMG[:16]}"
    )
    assert deploy_version(plan, state(), decision, explicit=True) == HEAD


def test_plan_json_follows_the_schema_and_lines_say_the_decision() -> None:
    plan = plan_with([running("old", "4" * 64)])
    document = plan_json(plan, None)
    jsonschema.validate(document, SCHEMA)
    assert document["services"][0]["decision"] == "build+deploy"
    lines = plan_lines(plan)
    assert lines[1].split()[:2] == ["app", "build+deploy"]
    assert lines[-1] == "1 of 1 services to deploy (1 to build)."


def test_a_saved_plan_differs_when_the_revision_or_a_digest_moved() -> None:
    saved = plan_json(plan_with([running("old")]), None)
    assert plan_differences(saved, saved) == []
    moved = json.loads(json.dumps(saved))
    moved["revision"] = "d" * 40
    moved["services"][0]["image_digest"] = "5" * 64
    assert plan_differences(saved, moved) == [
        f"revision: {HEAD} in the plan, {'d' * 40} now",
        "app: image digest changed",
    ]
    fewer = {**saved, "services": []}
    assert plan_differences(saved, fewer) == ["app: not in the plan made now"]


def test_schema_rejects_an_unknown_decision() -> None:
    document = plan_json(plan_with([running("old")]), None)
    document["services"][0] = {**document["services"][0], "decision": "maybe"}
    try:
        jsonschema.validate(document, SCHEMA)
    except jsonschema.ValidationError:
        return
    raise AssertionError("the schema accepted an unknown decision")
