"""The inputs micro benchmark's synthetic monorepo, at a small size (no timing asserted)."""

from __future__ import annotations

from bench.bench_inputs import REPO, configuration, synthetic_repo
from kamalpy.monorepo.inputs import all_service_inputs
from kamalpy.monorepo.settings import monorepo_settings
from tests.unit.monorepo.fixtures import tree


def test_synthetic_monorepo_services_reach_their_library_chains() -> None:
    files = tree(synthetic_repo(20, 2_000))
    configs = [configuration(n) for n in range(20)]
    found = all_service_inputs(files, configs, repo_root=REPO, settings=monorepo_settings(files))
    assert len(files.paths) > 1_900
    # svc-1 depends on lib-1 and lib-0 through uv path sources; svc-0 builds from the root.
    rules = {rule.kind for rule in found[1].files.values()}
    assert rules == {"dockerfile", "dockerignore", "service-dir", "uv-path", "global"}
    assert "libs/lib-1/pyproject.toml" in found[1].files
    root_context = found[0]
    assert root_context.files["libs/lib-0/pyproject.toml"].kind == "copy"
    assert "services/svc-1/deploy.yml" not in found[1].files
