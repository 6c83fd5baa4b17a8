"""A repository's files at one state, as git sees them: every path with its git blob id.

The monorepo layer is pure: it never runs git or reads the disk. A flow in `kamalpy/deploy/`
produces a `Tree` (the working tree: `git ls-files -s` plus hashed dirty and untracked files;
or a past revision: `git ls-tree -r`), and everything here decides from it. Blob ids are the
same in a shallow clone and a full one, so decisions do not depend on how much history exists.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field


def _no_content(path: str) -> bytes:
    raise KeyError(path)


@dataclass(frozen=True)
class Tree:
    """Files of the repository at one state: posix path (relative to the root) -> blob id.

    `read(path)` returns the content of one of those files (KeyError when absent). `dirty`
    names the paths whose content differs from the committed HEAD (modified or untracked),
    so reasons can say `[modified]`; it never changes a digest.
    """

    files: Mapping[str, str]
    read: Callable[[str], bytes] = _no_content
    dirty: frozenset[str] = frozenset()
    revision: str | None = None  # the commit this tree is (HEAD for the working tree)
    _sorted: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sorted", tuple(sorted(self.files)))

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path, sorted."""
        return self._sorted

    def under(self, directory: str) -> Iterator[str]:
        """Paths below `directory` (posix, no trailing slash; "" or "." means every path)."""
        if directory in ("", "."):
            yield from self._sorted
            return
        yield from self.with_prefix(directory.rstrip("/") + "/")

    def with_prefix(self, prefix: str) -> tuple[str, ...]:
        """Paths that start with `prefix` (any string), sorted: one slice, by bisection."""
        # Paths with one prefix sort together: two bisections find them, where walking from
        # the first one would copy or scan the tail.
        paths = self._sorted
        start = bisect.bisect_left(paths, prefix)
        return paths[start : bisect.bisect_left(paths, prefix + "\U0010ffff", start)]

    def blob(self, path: str) -> str | None:
        """The blob id of `path`, None when absent."""
        return self.files.get(path)

    def text(self, path: str) -> str:
        """A file's content decoded as UTF-8 (KeyError when absent)."""
        return self.read(path).decode("utf-8", errors="replace")

    def __contains__(self, path: object) -> bool:
        return path in self.files
