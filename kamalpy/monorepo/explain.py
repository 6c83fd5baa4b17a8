"""Pure: the facts behind `why` and `why-not`: what changed, and which rule saw it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kamalpy.monorepo.digests import changed_parts
from kamalpy.monorepo.tree import Tree

ADDED, MODIFIED, DELETED = "added", "modified", "deleted"


@dataclass(frozen=True)
class FileChange:
    """One file that differs between the base and now, and the rule that makes it an input."""

    path: str
    status: str  # added | modified | deleted
    rule: str | None  # None: no rule of the service covers it


def changed_files(base: Tree, now: Tree) -> dict[str, str]:
    """Every path whose blob differs between two trees, with its status."""
    out = {p: MODIFIED if p in base.files else ADDED for p, b in now.files.items()
           if base.files.get(p) != b}  # fmt: skip
    out.update({p: DELETED for p in base.files if p not in now.files})
    return dict(sorted(out.items()))


def input_changes(
    base: Tree,
    base_inputs: Mapping[str, object],
    now: Tree,
    now_inputs: Mapping[str, object],
) -> list[FileChange]:
    """Input files of the service (then or now) whose content differs, with the rule for each."""
    changes = []
    for path in sorted(set(base_inputs) | set(now_inputs)):
        before, after = base.files.get(path), now.files.get(path)
        if before == after:
            continue
        status = ADDED if before is None else DELETED if after is None else MODIFIED
        rule = now_inputs.get(path) or base_inputs.get(path)
        changes.append(FileChange(path, status, _describe(rule)))
    return changes


def nearest_misses(
    base: Tree, now: Tree, inputs: Mapping[str, object], *, limit: int = 20
) -> list[FileChange]:
    """Changed files no rule of the service covers, closest to its inputs' folders first."""
    folders = {path.rsplit("/", 1)[0] for path in inputs}
    misses = [
        FileChange(path, status, None)
        for path, status in changed_files(base, now).items()
        if path not in inputs
    ]
    misses.sort(key=lambda c: (-_shared_depth(c.path, folders), c.path))
    return misses[:limit]


def _shared_depth(path: str, folders: set[str]) -> int:
    parts = path.split("/")[:-1]
    best = 0
    for folder in folders:
        common = 0
        for a, b in zip(parts, folder.split("/"), strict=False):
            if a != b:
                break
            common += 1
        best = max(best, common)
    return best


def _describe(rule: object) -> str | None:
    describe = getattr(rule, "describe", None)
    return str(describe()) if callable(describe) else (str(rule) if rule else None)


def setting_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """Runtime settings that changed, by key; secrets by name only (`DB_URL changed`)."""
    lines = []
    for part, status in changed_parts(old, new):
        if part.startswith("secret."):
            lines.append(f"secret {part.removeprefix('secret.')} {status}")
        else:
            lines.append(f"{part} {status}")
    return lines
