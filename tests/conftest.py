"""Process-wide test setup: ^C and SIGTERM unwind once, so session fixtures always tear down."""

from __future__ import annotations

import signal
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
