"""Hand-built Trees and Configurations for the monorepo layer's tests (no disk, no git)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path

from kamalpy.config.model import Builder, Configuration, KamalpyExtras, Pack, frozen_map
from kamalpy.monorepo.inputs import ServiceInputs, service_inputs
from kamalpy.monorepo.settings import MonorepoSettings
from kamalpy.monorepo.tree import Tree
from tests.unit.deploy.sample import sample_config

REPO = Path("/repo")


def tree(files: Mapping[str, str]) -> Tree:
    """A Tree of these paths and contents, with fake blob ids."""
    blobs = {path: hashlib.sha1(text.encode()).hexdigest() for path, text in files.items()}
    return Tree(blobs, read=lambda path: files[path].encode())


def config(
    service: str = "api",
    *,
    directory: str | None = None,
    context: str | None = None,
    dockerfile: str = "Dockerfile",
    target: str | None = None,
    args: Mapping[str, str] | None = None,
    inputs: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    pack: bool = False,
) -> Configuration:
    """The Configuration of `services/<service>/deploy.yml` with these build settings."""
    root = REPO / (directory or f"services/{service}")
    builder = Builder(
        arch=("amd64",), context=context, dockerfile=dockerfile, target=target,
        args=frozen_map(dict(args or {})), pack=Pack("heroku/builder:24") if pack else None,
    )  # fmt: skip
    return dataclasses.replace(
        sample_config(root=root),
        path=root / "deploy.yml",
        service=service,
        builder=builder,
        extras=KamalpyExtras(inputs=inputs, exclude=exclude),
    )


def inputs_of(
    files: Mapping[str, str], conf: Configuration, global_inputs: tuple[str, ...] = ()
) -> ServiceInputs:
    """`service_inputs` over a hand-built tree."""
    settings = MonorepoSettings(global_inputs=global_inputs)
    return service_inputs(tree(files), conf, repo_root=REPO, settings=settings)


def kinds(found: ServiceInputs) -> dict[str, str]:
    """Each input path -> the kind of the rule that included it."""
    return {path: rule.kind for path, rule in sorted(found.files.items())}
