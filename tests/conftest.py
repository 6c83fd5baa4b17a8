"""Process-wide test setup: ^C and SIGTERM unwind once, so session fixtures always tear down."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import pytest


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ignore repeats (a terminal sends ^C to nox and pytest; a second ^C would abort the
    # teardown of the test bed half-way). The bed's teardown takes a few seconds.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """The first SIGINT/SIGTERM raises KeyboardInterrupt; later ones wait for the teardown."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


# Modules that take minutes, longest first (seconds summed per module in a loaded `-n 3` run).
# The workers take whole modules (`--dist loadfile`) in collection order, so starting the long
# ones first keeps one of them from becoming the tail of the run after the others finished.
LONG_MODULES = (
    "integration/test_deploy_zero_downtime.py",
    "integration/test_faults.py",
    "integration/test_monorepo_deploy.py",
    "integration/test_deploy_flow.py",
    "integration/test_ci_workflow.py",
    "integration/test_accessory_stateful.py",
    "integration/test_shared_proxy.py",
    "integration/test_demo.py",
    "integration/test_interrupt.py",
    "unit/deploy/test_plan_cache.py",
    "integration/test_deploy_secrets.py",
    "integration/test_testbed.py",
)
_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first (their own order kept), then the rest as collected."""
    rank = {module: index for index, module in enumerate(LONG_MODULES)}

    def key(item: pytest.Item) -> int:
        if not item.path.is_relative_to(_TESTS):
            return len(rank)
        return rank.get(item.path.relative_to(_TESTS).as_posix(), len(rank))

    items.sort(key=key)  # stable: tests keep their order inside each module
