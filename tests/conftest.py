"""Process-wide test setup: SIGTERM unwinds like ^C so session fixtures tear down."""

from __future__ import annotations

import signal
from types import FrameType

import pytest


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """Turn SIGTERM into KeyboardInterrupt so the test bed's finalizers still run."""
    signal.signal(signal.SIGTERM, _terminate)
