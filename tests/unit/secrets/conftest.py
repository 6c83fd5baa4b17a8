"""A small repository with a recipients policy and two people, alice and bob."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kamalpy.secrets import members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import Identity


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
