"""Every key path in Kamal 2.11's own reference (`kamal docs SECTION`) is in kamalpy's schema."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from kamalpy.config.schema import Shape, expand, section_root

KAMAL_SECTIONS = (
    "accessory",
    "alias",
    "boot",
    "builder",
    "env",
    "logging",
    "proxy",
    "registry",
    "role",
    "servers",
    "ssh",
    "sshkit",
)

pytestmark = pytest.mark.kamal_compat


def _key_paths(node: yaml.Node, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            found |= {path} | _key_paths(value, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found |= _key_paths(item, (*prefix, "[]"))
    return found


def _accepted(path: tuple[str, ...]) -> bool:
    shapes: list[Shape] = [section_root("configuration")]
    for part in path:
        following: list[Shape] = []
        for shape in expand(shapes):
            if part == "[]" and shape.kind == "list":
                following += shape.items
            elif shape.kind == "mapping":
                following += shape.fields.get(part) or shape.wildcard
        if not following:
            return False
        shapes = following
    return True


@pytest.mark.parametrize("section", ["", *KAMAL_SECTIONS])
def test_kamal_documented_keys_are_accepted(section: str, kamal: str) -> None:
    output = subprocess.run(
        [kamal, "docs", *([section] if section else [])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    # Kamal's reference uses `...` for "see section" and <placeholders> in values.
    text = re.sub(r"<([^>]*)>", r"X\1", output.replace("...", "{}"))
    missing = sorted("/".join(p) for p in _key_paths(yaml.compose(text)) if not _accepted(p))
    assert missing == []
