"""The study harness pairs each base file with its own destinations (pure, no tools run)."""

from __future__ import annotations

from tests.compat.study import Run, read_list, runs


def test_each_base_file_runs_alone_and_with_each_of_its_destinations() -> None:
    entries = [
        ("a/b", "c1", "config/deploy.yml"),
        ("a/b", "c1", "config/deploy.staging.yml"),
        ("a/b", "c1", "config/deploy.ws.eu.yml"),
        ("a/b", "c1", "config/deploy-worker.yml"),
        ("x/y", "c2", "config/deploy.review.yml"),  # no base next to it: read on its own
    ]
    assert runs(entries) == [
        Run("a/b", "c1", "config/deploy-worker.yml", None),
        Run("a/b", "c1", "config/deploy.yml", None),
        Run("a/b", "c1", "config/deploy.yml", "staging"),
        Run("a/b", "c1", "config/deploy.yml", "ws.eu"),
        Run("x/y", "c2", "config/deploy.review.yml", None),
    ]


def test_the_list_has_at_least_40_base_configurations() -> None:
    bases = {r for r in runs(read_list()) if r.destination is None}
    assert len(bases) >= 40
