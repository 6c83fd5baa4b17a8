"""The schema, compiled from the commented example files in `docs/` (also `kamalpy docs`).

One source for validation and documentation. How an example file describes types:

- a scalar example gives the type: text -> string, number -> integer, true/false -> boolean;
- a list example: each item of a real list must match one of the example items;
- a mapping example lists the allowed keys; a key written `<like-this>` stands for any key;
- the same key written twice means either form is accepted (`ssl: true` / `ssl: {...}`);
- `!see NAME` means "as in section NAME" (the value of the single key of `NAME.yml`);
- `!required VALUE` / `!required-see NAME` mark keys that must be present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

SECTIONS: tuple[str, ...] = (
    "configuration",
    "servers",
    "role",
    "env",
    "registry",
    "builder",
    "proxy",
    "accessory",
    "ssh",
    "sshkit",
    "boot",
    "logging",
    "alias",
    "kamalpy",
)


@dataclass(slots=True)
class Shape:
    """One accepted form of a value: a scalar type, a list, a mapping, or a section reference."""

    kind: str  # string | integer | boolean | list | mapping | ref
    required: bool = False
    ref: str | None = None
    items: list[Shape] = field(default_factory=list)
    fields: dict[str, list[Shape]] = field(default_factory=dict)
    wildcard: list[Shape] = field(default_factory=list)

    @property
    def is_scalar(self) -> bool:
        """Whether values of this shape are plain scalars."""
        return self.kind in ("string", "integer", "boolean")


def section_text(name: str) -> str:
    """The commented example file of one section, as shipped."""
    return resources.files("kamalpy.config").joinpath("docs", f"{name}.yml").read_text("utf-8")


@cache
def section_root(name: str) -> Shape:
    """The whole file of a section compiled (the top level for `configuration`)."""
    loader = yaml.SafeLoader(section_text(name))
    try:
        node = loader.get_single_node()
        if node is None:
            raise ValueError(f"empty schema section {name}")
        return _compile(node, loader)
    finally:
        loader.dispose()


@cache
def section_shapes(name: str) -> tuple[Shape, ...]:
    """The forms a value referenced as `!see name` may take."""
    root = section_root(name)
    return tuple(shape for shapes in root.fields.values() for shape in shapes) + tuple(
        root.wildcard
    )


def _compile(node: yaml.Node, loader: yaml.SafeLoader) -> Shape:
    tag = node.tag or ""
    if tag in ("!see", "!required-see"):
        return Shape("ref", required=tag == "!required-see", ref=str(node.value))
    required = tag == "!required"
    if isinstance(node, yaml.MappingNode):
        shape = Shape("mapping", required)
        for key_node, value_node in node.value:
            key = str(key_node.value)
            target = shape.wildcard if key.startswith("<") else shape.fields.setdefault(key, [])
            target.append(_compile(value_node, loader))
        return shape
    if isinstance(node, yaml.SequenceNode):
        return Shape("list", required, items=[_compile(item, loader) for item in node.value])
    if required:
        node.tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
    value = loader.construct_object(node)
    kind = (
        "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
    )
    return Shape(kind, required)


def expand(shapes: list[Shape] | tuple[Shape, ...]) -> list[Shape]:
    """Replace section references by the forms of that section (keeping `required`)."""
    result: list[Shape] = []
    for shape in shapes:
        if shape.kind == "ref" and shape.ref:
            result.extend(section_shapes(shape.ref))
        else:
            result.append(shape)
    return result
