"""A small repository with a recipients policy and two people, alice and bob."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kamalpy.secrets import members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import Identity

# mutmut (`nox -s mutants`) sets MUTANT_UNDER_TEST in every phase and runs each property test
# once per mutant it reaches, on one shared core: there a property test draws a tenth of its
# examples and has no per-example deadline, so a slow machine never reads as a killed mutant.
UNDER_MUTMUT = "MUTANT_UNDER_TEST" in os.environ


def property_settings(examples: int) -> settings:
    """Hypothesis settings for a property test drawing `examples` examples (fewer under mutmut)."""
    return settings(
        max_examples=max(examples // 10, 5) if UNDER_MUTMUT else examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@dataclass
class Repo:
    root: Path
    alice: Identity
    bob: Identity

    def file(self, scope: str, destination: str = "default") -> Path:
        return self.root / "secrets" / scope / f"{destination}.secrets"


def identity(name: str) -> Identity:
    return Identity((AgeIdentity.generate(),), name)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    alice, bob = identity("alice"), identity("bob")
    members.init(tmp_path, "alice", alice.recipients()[0])
    return Repo(tmp_path, alice, bob)
