"""The two digests of a service: what its image is made of, and how it is configured to run.

Both are SHA-256 over a canonical JSON document, so equal inputs give equal digests on every
machine and in every clone (shallow or full): files enter by their git blob ids, never by
mtime or absolute path. Secret values never enter in clear: the caller passes their keyed
MACs (HMAC with a key that only holders of the secrets store can derive).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import Protocol

from kamalpy.config.model import Configuration, Env, Role
from kamalpy.monorepo.tree import Tree
from kamalpy.sensitive import Sensitive

# Bump when what goes into a digest changes: every service then redeploys once, on purpose.
DIGEST_FORMAT = "kamalpy-digest-v1"
IMAGE_LABEL = "kamalpy.image-digest"
RUNTIME_LABEL = "kamalpy.runtime-digest"
REVISION_LABEL = "kamalpy.revision"
PARTS_LABEL = "kamalpy.runtime-parts"


class ImageInputs(Protocol):
    """What the image digest reads of a service's inputs (see `monorepo.inputs`)."""

    @property
    def files(self) -> Mapping[str, object]: ...
    @property
    def dockerfile(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def build_args(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def from_images(self) -> tuple[str, ...]: ...


def _sha256(document: object) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, Sensitive):
        return "[sensitive]"  # a literal credential in deploy.yml: never hashed in clear
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, frozenset | set):
        return sorted(value)
    return str(value)


def image_digest(inputs: ImageInputs, tree: Tree, platforms: tuple[str, ...] = ()) -> str:
    """SHA-256 over every input file's (path, blob id) and the build's own settings."""
    files = [[path, tree.files[path]] for path in sorted(inputs.files) if path in tree.files]
    return _sha256(
        {
            "format": DIGEST_FORMAT,
            "files": files,
            "dockerfile": inputs.dockerfile,
            "target": inputs.target,
            "args": [list(pair) for pair in inputs.build_args],
            "from": list(inputs.from_images),
            "platforms": list(platforms),
        }
    )


# Fields that differ between clones or commits without changing what runs.
_NOT_RUNTIME = frozenset({"path", "root", "version"})


def runtime_parts(config: Configuration, secret_macs: Mapping[str, str]) -> dict[str, str]:
    """Short hashes of each part of the resolved configuration and of each secret's MAC.

    Parts are top-level keys, one per role (`servers.web`) and one per env variable
    (`env.clear.NAME`), so `why` can name what changed without keeping old configurations.
    """
    return with_secrets(config_parts(config), secret_macs)


def with_secrets(parts: Mapping[str, str], secret_macs: Mapping[str, str]) -> dict[str, str]:
    """`config_parts` plus a part per secret (its MAC, shortened), sorted by name."""
    hashed = dict(parts)
    hashed.update({f"secret.{name}": mac[:16] for name, mac in secret_macs.items()})
    return dict(sorted(hashed.items()))


def config_parts(config: Configuration) -> dict[str, str]:
    """The runtime parts of the configuration alone (no secrets): what a cache may keep."""
    parts: dict[str, object] = {}
    for item in dataclasses.fields(config):
        if item.name in _NOT_RUNTIME:
            continue
        value = getattr(config, item.name)
        if item.name == "roles":
            for role in value:
                parts.update(_role_parts(role, config.env))
        elif item.name == "env":
            parts.update({f"env.clear.{k}": v for k, v in value.clear.items()})
            parts["env.secret"] = _data(value.secrets)
            parts["env.tags"] = _data(value.tags)
        else:
            parts[item.name] = _data(value)
    return {name: _sha256(value)[:16] for name, value in parts.items()}


def _role_parts(role: Role, top: Env) -> dict[str, object]:
    """A role's settings, its env only where it differs from the top-level env (said once)."""
    data = _data(role)
    assert isinstance(data, dict)
    data.pop("env", None)
    parts: dict[str, object] = {f"servers.{role.name}": data}
    for key, value in role.env.clear.items():
        if top.clear.get(key) != value:
            parts[f"servers.{role.name}.env.clear.{key}"] = value
    if set(role.env.secrets) != set(top.secrets) or role.env.tags != top.tags:
        parts[f"servers.{role.name}.env.secret"] = _data((role.env.secrets, role.env.tags))
    return parts


def _data(value: object) -> object:
    names = _field_names(type(value))
    if names is not None:
        return {name: _data(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {str(k): _data(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_data(v) for v in value]
    return value


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for other types): asked once per type, not per value."""
    if kind not in _FIELDS:
        is_data = dataclasses.is_dataclass(kind)
        _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind)) if is_data else None
    return _FIELDS[kind]


def runtime_digest(parts: Mapping[str, str]) -> str:
    """SHA-256 over the runtime parts (configuration and secret MACs)."""
    return _sha256({"format": DIGEST_FORMAT, "parts": dict(sorted(parts.items()))})


def changed_parts(old: Mapping[str, str], new: Mapping[str, str]) -> list[tuple[str, str]]:
    """(part, added|changed|removed) between two runtime part maps, sorted by part."""
    out = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append((name, "added"))
        elif name not in new:
            out.append((name, "removed"))
        elif old[name] != new[name]:
            out.append((name, "changed"))
    return out


def short(digest: str | None) -> str:
    """The first 12 hex digits, as people read digests."""
    return digest[:12] if digest else "-"
