"""The real multi-host bed as session fixtures: brought up once per pytest run, always removed.

Policy when the machine cannot run the bed (not root, no dockerd, no `ip netns`, no sshd...):
in CI (tests.support.ci.in_ci: CI set to a true value) collection fails naming what is
missing; otherwise integration tests are skipped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ci import in_ci
from tests.testbed import Bed, BedSpec, baseimages, images, lifecycle, prereq
from tests.testbed.spec import session_prefix

HERE = Path(__file__).parent
TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests in this directory as integration; skip or fail them if the bed cannot run."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
    ours = [item for item in items if item.get_closest_marker("integration")]
    missing = prereq.missing() if ours else []
    if not missing:
        return
    if in_ci():
        raise pytest.UsageError(
            "CI is set but the test bed cannot run; missing: " + "; ".join(missing)
        )
    skip = pytest.mark.skip(reason=f"test bed unavailable (missing {missing[0]})")
    for item in ours:
        item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how long the bed and its images took."""
    if TIMINGS:
        parts = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in TIMINGS.items())
        terminalreporter.write_line(f"test bed timings: {parts}")


@pytest.fixture(scope="session")
def bed() -> Iterator[Bed]:
    """Three real hosts (h1..h3) and an authenticated registry; see docs/testbed.md."""
    spec = BedSpec(prefix=session_prefix(os.getpid()), hosts=3)
    started = time.monotonic()
    try:  # from before `up`: a signal right after it returns must still tear down
        running = lifecycle.up(spec, owner_pid=os.getpid())
        TIMINGS["bed up"] = time.monotonic() - started
        yield running
    finally:
        started = time.monotonic()
        problems = lifecycle.down(spec.prefix)
        TIMINGS["bed down"] = time.monotonic() - started
        if problems:
            raise RuntimeError("test bed teardown left: " + "; ".join(problems))


def _timed(name: str, started: float) -> None:
    TIMINGS[name] = time.monotonic() - started


@pytest.fixture(scope="session")
def app_images(bed: Bed) -> dict[str, str]:
    """Variant -> pushed reference `<registry>/app:<variant>` (label service=app)."""
    started = time.monotonic()
    refs = images.publish_app_images(bed)
    _timed("app images", started)
    return refs


@pytest.fixture(scope="session")
def traefik_image(bed: Bed) -> str:
    """`<registry>/traefik:v3`: Traefik FROM scratch, pushed."""
    started = time.monotonic()
    ref = baseimages.publish_traefik(bed)
    _timed("traefik image", started)
    return ref


@pytest.fixture(scope="session")
def python_image(bed: Bed) -> str:
    """`<registry>/python:3-bookworm`: debootstrap minbase + python3, pushed."""
    started = time.monotonic()
    ref = baseimages.publish_python(bed)
    _timed("python image", started)
    return ref
