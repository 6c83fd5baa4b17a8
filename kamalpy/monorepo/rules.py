"""Why a file is an input: `InputRule`, and `InputFiles`, every input path with its first rule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

_LABELS = {
    "service-dir": "service directory",
    "dockerfile": "Dockerfile",
    "dockerignore": ".dockerignore",
    "uv-path": "uv path source",
    "uv-workspace": "uv workspace member",
    "file-requirement": "file: requirement",
    "declared": "declared input",
    "exclude": "declared exclude",
    "global": "global input",
}


@dataclass(frozen=True)
class InputRule:
    """One reason a file can be an input: its kind, the paths it covers, where it is written."""

    kind: str
    pattern: str  # repo-relative path or glob; a directory covers everything below it
    source: str  # "services/api/Dockerfile:5", "services/api/pyproject.toml [tool.uv.sources] x"
    written: str | None = None  # the instruction for Dockerfile rules: "COPY libs/common"

    def describe(self) -> str:
        """One line for people: `COPY libs/common (services/api/Dockerfile:5)`."""
        what = self.written or f"{_LABELS.get(self.kind, self.kind)} {self.pattern}"
        return f"{what} ({self.source})"


Layer = tuple[InputRule, frozenset[str]]


class InputFiles(Mapping[str, InputRule]):
    """Input path -> the first rule that included it, kept as layers (one per rule).

    A shared library's files are one frozenset for every service depending on it, so
    computing 500 services' inputs never copies them; a lookup asks the layers in order.
    """

    def __init__(self, layers: Sequence[Layer], removed: frozenset[str] = frozenset()) -> None:
        self.layers = tuple(layers)
        self.removed = removed  # excluded, and the service's own deploy files
        self._sorted: tuple[str, ...] | None = None

    def __getitem__(self, path: str) -> InputRule:
        if path not in self.removed:
            for rule, paths in self.layers:
                if path in paths:
                    return rule
        raise KeyError(path)

    def __contains__(self, path: object) -> bool:
        return path not in self.removed and any(path in paths for _, paths in self.layers)

    def _paths(self) -> tuple[str, ...]:
        if self._sorted is None:
            union: set[str] = set().union(*(paths for _, paths in self.layers))
            self._sorted = tuple(sorted(union - self.removed))
        return self._sorted

    def __iter__(self) -> Iterator[str]:
        """Paths in sorted order."""
        return iter(self._paths())

    def __len__(self) -> int:
        return len(self._paths())

    def __repr__(self) -> str:
        return f"InputFiles({len(self.layers)} layers, {len(self)} files)"
