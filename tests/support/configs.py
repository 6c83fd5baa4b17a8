"""Build Configuration objects in tests without files (the loader has its own tests)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from kamalpy.config.model import (
    Boot,
    Builder,
    Configuration,
    Env,
    Logging,
    Registry,
    Role,
    Ssh,
    Sshkit,
    frozen_map,
)


def make_role(name: str = "web", hosts: tuple[str, ...] = ("h1",), **fields: Any) -> Role:
    """A role with plain defaults."""
    base = Role(
        name=name, hosts=hosts, host_tags=frozen_map(), cmd=(), options=(), labels=frozen_map(),
        env=Env(), logging=Logging(), proxy=None, primary=name == "web",
    )  # fmt: skip
    return replace(base, **fields)


def make_config(**fields: Any) -> Configuration:
    """A one-role service `app` at version `v1`; override any field."""
    base = Configuration(
        path=Path("/srv/repo/services/app/deploy.yml"), root=Path("/srv/repo/services/app"),
        service="app", image="team/app", version="v1", destination=None, primary_role="web",
        roles=(make_role(),), registry=Registry(), builder=Builder(arch=("amd64",)), env=Env(),
        volumes=(), labels=frozen_map(), logging=Logging(), ssh=Ssh(), sshkit=Sshkit(),
        boot=Boot(), proxy=None, accessories=(), aliases=frozen_map(),
    )  # fmt: skip
    return replace(base, **fields)
