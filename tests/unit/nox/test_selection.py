"""The kit's pure helpers: its options, and which services' tests and builds are due."""

from __future__ import annotations

import pytest

from kamalpy.nox.selection import (
    image_changed,
    kamalpy_selection,
    services_to_build,
    services_to_test,
    split_args,
)


@pytest.mark.parametrize(
    ("posargs", "services", "every", "yes", "dry_run", "destination", "rest"),
    [
        ([], (), False, False, False, "local", ()),
        (["-s", "api", "--service=web"], ("api", "web"), False, False, False, "local", ()),
        (["-d", "prod", "--all", "-y"], (), True, True, False, "prod", ()),
        (["--destination=prod", "--dry-run", "--plan", "p.json"], (), False, False, True, "prod",
         ("--dry-run", "--plan", "p.json")),
        (["api", "-v"], (), False, False, False, "local", ("api", "-v")),
    ],
)  # fmt: skip
def test_split_args(posargs, services, every, yes, dry_run, destination, rest) -> None:  # type: ignore[no-untyped-def]
    args = split_args(posargs, "local")
    assert (args.services, args.every, args.yes, args.dry_run, args.destination, args.rest) == (
        services, every, yes, dry_run, destination, rest,
    )  # fmt: skip


def test_split_args_needs_a_value_after_s() -> None:
    with pytest.raises(ValueError, match="-s needs a value"):
        split_args(["-s"], None)


def test_kamalpy_selection_repeats_s_and_adds_d() -> None:
    args = split_args(["-s", "a", "-s", "b"], "prod")
    assert kamalpy_selection(args) == ("-s", "a", "-s", "b", "-d", "prod")
    assert kamalpy_selection(split_args([], None)) == ()


def _svc(name: str, digest: str, running: list[str], build: bool = False) -> dict[str, object]:
    return {
        "service": name,
        "image_digest": digest,
        "build": build,
        "running": [{"host": f"h{i}", "image_digest": d} for i, d in enumerate(running)],
    }


@pytest.mark.parametrize(
    ("running", "changed"),
    [([], True), (["d1"], False), (["d1", "d1"], False), (["d1", "d0"], True), (["d0"], True)],
)
def test_image_changed_compares_every_host_with_the_inputs(
    running: list[str], changed: bool
) -> None:
    assert image_changed(_svc("api", "d1", running)) is changed


PLAN = {
    "services": [
        # Only the runtime (a secret) changed: a deploy, but the same image, so no tests.
        _svc("admin", "a1", ["a1"]),
        _svc("api", "b2", ["b1"], build=True),
        _svc("web", "c1", ["c1"]),
        _svc("worker", "d2", [], build=True),
    ]
}


def test_services_to_test_are_those_whose_image_changed() -> None:
    assert services_to_test(PLAN, every=False) == ["api", "worker"]
    assert services_to_test(PLAN, every=True) == ["admin", "api", "web", "worker"]
    assert services_to_test(PLAN, every=False, only=["api", "web"]) == ["api"]
    assert services_to_test(PLAN, every=True, only=["web"]) == ["web"]


def test_services_to_build_follow_the_plan() -> None:
    assert services_to_build(PLAN) == ["api", "worker"]
