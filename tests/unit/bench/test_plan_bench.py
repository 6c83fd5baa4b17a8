"""The plan benchmark at 50 services: the generator's repository plans with the right decisions.

No timing is asserted: this proves the benchmark runs and that the code it times decides
correctly on a repository of its shape (libraries shared through uv path dependencies,
repo-root contexts, .dockerignore files, history).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.bench_plan import measure, plan_without_ssh
from bench.monorepo_gen import Layout, Shape, dependents, generate, lib_name, service_name
from kamalpy.cli.monorepo_support import loader, secret_macs
from kamalpy.deploy.changes import ServiceState, decide_all, prepare
from kamalpy.executor.local import LocalExecutor
from kamalpy.monorepo.observed import Running

SHAPE = Shape(services=50, files=2_000, commits=30)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Layout]]:
    root = tmp_path_factory.mktemp("plan-bench") / "mono"
    yield root, generate(root, SHAPE)


def states(root: Path) -> list[ServiceState]:
    args = argparse.Namespace(config_file=None, service=None, destination=None, app_version=None)
    environ = {"PATH": os.environ.get("PATH", "")}
    _root, _tree, _settings, found = prepare(
        LocalExecutor(), root, load=loader(args, environ, root), secret_macs=secret_macs(environ)
    )
    return found


def running_as(planned: list[ServiceState]) -> dict[str, tuple[Running, ...]]:
    """What the hosts would report after deploying `planned` exactly."""
    by_host: dict[str, list[Running]] = {}
    for state in planned:
        for role, host in state.wanted().slots:
            by_host.setdefault(host, []).append(
                Running(host, f"{state.name}-{role}-v1", f"bench/{state.name}:v1", state.name,
                        role, "", state.image_digest, state.runtime_digest, "0" * 40)
            )  # fmt: skip
    return {host: tuple(found) for host, found in by_host.items()}


def kinds(planned: list[ServiceState], running: dict[str, tuple[Running, ...]]) -> dict[str, str]:
    found = decide_all(planned, running, {}, force_all=False, assume_changed=False,
                       base_image_digest=lambda state, revision: None)  # fmt: skip
    return {d.service: d.kind for d in found}


def test_the_generator_makes_the_shape_asked_for(made: tuple[Path, Layout]) -> None:
    root, layout = made
    assert len(layout.files) == SHAPE.files
    assert len(list((root / "services").glob("*/deploy.yml"))) == SHAPE.services
    assert (root / ".git").is_dir() and (root / "libs" / lib_name(0) / "pyproject.toml").is_file()


def test_an_empty_survey_builds_and_deploys_every_service(made: tuple[Path, Layout]) -> None:
    root, _layout = made
    assert plan_without_ssh(root) == {"build+deploy": SHAPE.services}


def test_a_library_change_picks_exactly_its_dependents(made: tuple[Path, Layout]) -> None:
    root, layout = made
    before = states(root)
    running = running_as(before)
    assert set(kinds(before, running).values()) == {"skip"}
    lib = next(n for n in layout.lib_deps if layout.lib_deps[n])  # used directly and through others
    source = next(p for p in layout.sources if p.startswith(f"libs/{lib_name(lib)}/"))
    edited = root / source
    original = edited.read_text()
    edited.write_text(original + "# changed\n")
    try:
        after = kinds(states(root), running)
    finally:
        edited.write_text(original)
    picked = {name for name, kind in after.items() if kind == "build+deploy"}
    assert picked == dependents(layout, lib)
    assert picked and {k for n, k in after.items() if n not in picked} == {"skip"}


def test_a_runtime_change_deploys_one_service_without_a_build(made: tuple[Path, Layout]) -> None:
    root, _layout = made
    running = running_as(states(root))
    config = root / "services" / service_name(7) / "deploy.yml"
    original = config.read_text()
    config.write_text(original.replace("LOG_LEVEL: info", "LOG_LEVEL: debug"))
    try:
        after = kinds(states(root), running)
    finally:
        config.write_text(original)
    assert after.pop(service_name(7)) == "deploy"
    assert set(after.values()) == {"skip"}


def test_the_benchmark_script_reports_cold_warm_and_memory(made: tuple[Path, Layout]) -> None:
    root, _layout = made
    numbers = measure(root, runs=1)
    assert numbers["decisions"] == {"build+deploy": SHAPE.services}
    assert all(float(numbers[key]) > 0 for key in ("cold_s", "warm_s", "peak_mb"))  # type: ignore[arg-type]
