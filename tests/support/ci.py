"""The suite's one answer to "are we in CI?" and "where is this tool?", for every guard.

Skips are for a developer's machine; in CI a missing prerequisite must fail, or a test that never
ran reads as a test that passed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import NoReturn

import pytest

# CI providers set CI=true (GitHub, GitLab, CircleCI), True (AppVeyor), 1, yes, or their own name
# (Woodpecker: CI=woodpecker); only an unset, empty or explicitly false value means "not CI".
_NOT_CI = frozenset({"", "0", "false", "no", "off"})


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when the CI variable is set to anything but an empty or false value."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in _NOT_CI


def find_tool(name: str) -> str | None:
    """Absolute path of `name` on PATH: the one lookup prerequisite checks and skip guards share."""
    return shutil.which(name)


def unavailable(reason: str, *, module_level: bool = False) -> NoReturn:
    """Fail in CI, skip elsewhere: something this test needs is missing from the machine."""
    if in_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)


def require_tool(name: str, install: str, *, module_level: bool = False) -> str:
    """Path of `name` on PATH; otherwise fail in CI and skip locally, saying how to install it."""
    found = find_tool(name)
    if found is None:
        unavailable(f"`{name}` is not on PATH ({install})", module_level=module_level)
    return found
