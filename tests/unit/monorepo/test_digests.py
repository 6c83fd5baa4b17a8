"""Digests: equal inputs give equal digests; each kind of change moves exactly one of them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kamalpy.config.model import Env, frozen_map
from kamalpy.monorepo.digests import (
    changed_parts,
    image_digest,
    runtime_digest,
    runtime_parts,
)
from kamalpy.monorepo.tree import Tree
from tests.support.configs import make_config, make_role


@dataclass(frozen=True)
class Inputs:
    files: dict[str, object]
    dockerfile: str = "services/app/Dockerfile"
    target: str | None = None
    build_args: tuple[tuple[str, str], ...] = ()
    from_images: tuple[str, ...] = ("python:3.12",)
    rules: tuple[object, ...] = field(default=())


TREE = Tree({"services/app/app.py": "1" * 40, "services/app/Dockerfile": "2" * 40, "README": "3"})


def test_image_digest_reads_blob_ids_of_inputs_only() -> None:
    inputs = Inputs({"services/app/app.py": "rule", "services/app/Dockerfile": "rule"})
    base = image_digest(inputs, TREE)
    readme = Tree({**TREE.files, "README": "4" * 40})
    assert image_digest(inputs, readme) == base
    edited = Tree({**TREE.files, "services/app/app.py": "5" * 40})
    assert image_digest(inputs, edited) != base
    assert image_digest(replace(inputs, build_args=(("A", "1"),)), TREE) != base
    assert image_digest(replace(inputs, from_images=("python:3.13",)), TREE) != base
    assert image_digest(replace(inputs, target="prod"), TREE) != base
    assert image_digest(inputs, TREE, ("linux/arm64",)) != base


def test_runtime_digest_ignores_version_and_paths() -> None:
    config = make_config()
    moved = replace(config, version="v2", root=config.root.parent, path=config.path.parent)
    assert runtime_parts(moved, {}) == runtime_parts(config, {})


def test_runtime_parts_name_env_keys_roles_and_secrets() -> None:
    config = make_config(env=Env(frozen_map({"A": "1"})))
    before = runtime_parts(config, {"DB_URL": "m1" * 32})
    changed_env = make_config(env=Env(frozen_map({"A": "2"})))
    after = runtime_parts(changed_env, {"DB_URL": "m2" * 32})
    assert changed_parts(before, after) == [
        ("env.clear.A", "changed"),
        ("secret.DB_URL", "changed"),
    ]
    assert runtime_digest(before) != runtime_digest(after)
    more_hosts = make_config(roles=(make_role(hosts=("h1", "h2")),))
    assert changed_parts(runtime_parts(make_config(), {}), runtime_parts(more_hosts, {})) == [
        ("servers.web", "changed")
    ]


def test_secret_values_never_enter_parts_in_clear() -> None:
    parts = runtime_parts(make_config(), {"TOKEN": "f" * 64})
    assert parts["secret.TOKEN"] == "f" * 16


def test_role_env_counts_once_where_it_only_repeats_the_top_level() -> None:
    top = Env(frozen_map({"A": "1"}))
    config = make_config(env=top, roles=(make_role(env=top),))
    changed = Env(frozen_map({"A": "2"}))
    after = make_config(env=changed, roles=(make_role(env=changed),))
    assert changed_parts(runtime_parts(config, {}), runtime_parts(after, {})) == [
        ("env.clear.A", "changed")
    ]
    own = make_config(env=top, roles=(make_role(env=Env(frozen_map({"A": "1", "B": "x"}))),))
    assert ("servers.web.env.clear.B", "added") in changed_parts(
        runtime_parts(config, {}), runtime_parts(own, {})
    )
