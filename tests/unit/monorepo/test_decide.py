"""Decisions from digests against what runs: every kind, each with its reasons (table-driven)."""

from __future__ import annotations

import pytest

from kamalpy.monorepo.decide import Wanted, decide, decide_since
from kamalpy.monorepo.observed import Running

IMG, RT = "i" * 64, "r" * 64
OLD_IMG, OLD_RT = "o" * 64, "p" * 64
REV = "a" * 40
SLOTS = (("web", "h1"), ("web", "h2"))
WANTED = Wanted("api", None, SLOTS, IMG, RT)


def run(
    host: str,
    image: str | None = IMG,
    runtime: str | None = RT,
    *,
    version: str = REV,
    role: str = "web",
) -> Running:
    return Running(
        host=host,
        name=f"api-{role}-{version}",
        image=f"reg/api:{version}",
        service="api",
        role=role,
        destination="",
        image_digest=image,
        runtime_digest=runtime,
        revision=REV if image else None,
    )


CASES = [
    ("nothing runs", [], "build+deploy", True, True, ["not-running"]),
    ("same digests everywhere", [run("h1"), run("h2")], "skip", False, False, ["unchanged"]),
    (
        "image differs",
        [run("h1", OLD_IMG), run("h2", OLD_IMG)],
        "build+deploy",
        True,
        True,
        ["image-changed"],
    ),
    (
        "only runtime differs",
        [run("h1", IMG, OLD_RT), run("h2", IMG, OLD_RT)],
        "deploy",
        False,
        True,
        ["runtime-changed"],
    ),
    ("one host missing", [run("h1")], "deploy", False, True, ["not-running"]),
    (
        "hosts disagree, ours among them",
        [run("h1"), run("h2", OLD_IMG)],
        "drift",
        False,
        True,
        ["drift"],
    ),
    (
        "hosts disagree, ours nowhere",
        [run("h1", OLD_IMG), run("h2", IMG, OLD_RT)],
        "drift",
        False,
        True,
        ["drift"],
    ),
    (
        "hosts disagree, image nowhere",
        [run("h1", OLD_IMG), run("h2", OLD_IMG, OLD_RT)],
        "drift",
        True,
        True,
        ["drift"],
    ),
    (
        "another role's container is not ours",
        [run("h1", role="jobs"), run("h2", role="jobs")],
        "build+deploy",
        True,
        True,
        ["not-running"],
    ),
]


@pytest.mark.parametrize(
    ("running", "kind", "build", "deploy", "codes"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision_kinds(
    running: list[Running], kind: str, build: bool, deploy: bool, codes: list[str]
) -> None:
    decision = decide(WANTED, running)
    assert (decision.kind, decision.build, decision.deploy) == (kind, build, deploy)
    assert [r.code for r in decision.reasons] == codes


def test_all_forces_a_build_even_when_unchanged() -> None:
    decision = decide(WANTED, [run("h1"), run("h2")], force_all=True)
    assert (decision.kind, decision.build, decision.deploy) == ("build+deploy", True, True)


def test_runtime_only_deploy_reuses_the_running_image() -> None:
    decision = decide(WANTED, [run("h1", IMG, OLD_RT), run("h2", IMG, OLD_RT)])
    assert decision.reuse_image == f"reg/api:{REV}"
    assert decision.base_revisions == (REV,)


def test_drift_names_each_group_of_hosts() -> None:
    decision = decide(WANTED, [run("h1"), run("h2", OLD_IMG)])
    assert "h1 run image iiiiiiiiiiii runtime rrrrrrrrrrrr" in decision.reasons[0].text
    assert "h2 run image oooooooooooo" in decision.reasons[0].text


def test_unlabelled_same_image_at_revision_deploys_without_build() -> None:
    kamal = [run("h1", None, None), run("h2", None, None)]
    decision = decide(WANTED, kamal, base_image_digest=lambda rev: IMG if rev == REV else None)
    assert (decision.kind, decision.build, decision.deploy) == ("unknown-base", False, True)
    assert [r.code for r in decision.reasons] == ["no-labels", "runtime-unknown"]
    assert decision.reuse_image == f"reg/api:{REV}"


def test_unlabelled_other_image_at_revision_builds() -> None:
    kamal = [run("h1", None, None), run("h2", None, None)]
    decision = decide(WANTED, kamal, base_image_digest=lambda rev: OLD_IMG)
    assert (decision.kind, decision.build) == ("unknown-base", True)
    assert [r.code for r in decision.reasons] == ["no-labels", "image-changed"]


def test_unlabelled_revision_missing_from_git_fails_safe() -> None:
    kamal = [run("h1", None, None), run("h2", None, None)]
    decision = decide(WANTED, kamal, base_image_digest=lambda rev: None)
    assert (decision.kind, decision.build, decision.deploy) == ("unknown-base", True, True)
    assert decision.reasons[-1].code == "base-unknown"
    assert REV[:12] in decision.reasons[-1].text


def test_unlabelled_version_without_revision_fails_safe() -> None:
    kamal = [run("h1", None, None, version="v1"), run("h2", None, None, version="v1")]
    decision = decide(WANTED, kamal, base_image_digest=lambda rev: IMG)
    assert (decision.kind, decision.build) == ("unknown-base", True)
    assert decision.reasons[-1].text == "version v1 names no git revision"


@pytest.mark.parametrize(
    ("base_image", "runtime", "kind", "text"),
    [
        (IMG, [], "skip", "unchanged since main~3"),
        (OLD_IMG, [], "build+deploy", "image inputs changed since main~3"),
        (IMG, ["services/api/deploy.yml"], "build+deploy",
         "configuration changed since main~3: services/api/deploy.yml"),
        (None, [], "build+deploy",
         "did not exist at main~3, or its inputs could not be read there"),
    ],
)  # fmt: skip
def test_since_decides_from_git_alone(
    base_image: str | None, runtime: list[str], kind: str, text: str
) -> None:
    decision = decide_since(WANTED, "main~3", base_image, runtime)
    assert (decision.kind, decision.reasons[0].text) == (kind, text)
    assert decision.deploy == (kind != "skip")
