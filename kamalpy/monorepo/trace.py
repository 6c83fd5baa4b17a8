"""What a computation read of a Tree, so its result can be reused while those reads answer the same.

A `TracingTree` is a Tree that logs every question asked of it: is this file there (and what
is its blob id), which paths start with this prefix (and their blob ids). A service's inputs
are a function of those answers (and of its configuration), so a result computed once stays
right for any later tree that gives every logged question the same answer: `Answers.same`
checks that, computing each distinct answer once per tree. Blob ids are content hashes, so
an answer cannot match unless the content matches.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from kamalpy.monorepo.tree import Tree

FILE = "file"  # (FILE, path): its blob id, "" when absent
PREFIX = "prefix"  # (PREFIX, prefix): a hash of every (path, blob id) starting with it
Query = tuple[str, str]
Traced = tuple[tuple[str, str, str], ...]  # (kind, argument, answer), sorted


class TracingTree(Tree):
    """The same files as a Tree, logging every question asked (see `Answers` for the answers)."""

    queries: set[Query]

    @classmethod
    def over(cls, tree: Tree) -> TracingTree:
        """A tracing view of `tree` (shares its sorted paths: nothing is copied or sorted)."""
        view = object.__new__(cls)
        for name in ("dirty", "revision", "_sorted"):
            object.__setattr__(view, name, getattr(tree, name))
        object.__setattr__(view, "queries", set())
        object.__setattr__(view, "files", _TracedFiles(tree.files, view.queries))
        object.__setattr__(view, "read", view._read)
        object.__setattr__(view, "_read_untraced", tree.read)
        return view

    def _read(self, path: str) -> bytes:
        self.queries.add((FILE, path))
        reader: Any = object.__getattribute__(self, "_read_untraced")
        return reader(path)  # type: ignore[no-any-return]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path, sorted (logged as the prefix "")."""
        self.queries.add((PREFIX, ""))
        return self._sorted

    def with_prefix(self, prefix: str) -> tuple[str, ...]:
        """Paths that start with `prefix` (logged)."""
        self.queries.add((PREFIX, prefix))
        return super().with_prefix(prefix)

    def __contains__(self, path: object) -> bool:
        if isinstance(path, str):
            self.queries.add((FILE, path))
        return path in self.files


class _TracedFiles(Mapping[str, str]):
    """A Tree's `files`, logging lookups (iterating it reads every path)."""

    def __init__(self, files: Mapping[str, str], queries: set[Query]) -> None:
        self._files = files
        self._queries = queries

    def __getitem__(self, path: str) -> str:
        self._queries.add((FILE, path))
        return self._files[path]

    def __contains__(self, path: object) -> bool:
        if isinstance(path, str):
            self._queries.add((FILE, path))
        return path in self._files

    def __iter__(self) -> Iterator[str]:
        self._queries.add((PREFIX, ""))
        return iter(self._files)

    def __len__(self) -> int:
        self._queries.add((PREFIX, ""))
        return len(self._files)


class Answers:
    """The answers one tree gives to logged questions, each computed once."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._known: dict[Query, str] = {}
        self._blobs: list[str] | None = None  # blob ids in the order of `tree.paths`

    def answer(self, query: Query) -> str:
        """The answer to one question, as `TracingTree` logs it."""
        found = self._known.get(query)
        if found is None:
            kind, argument = query
            if kind == FILE:
                found = self.tree.files.get(argument, "")
            elif kind == PREFIX:
                found = self._listing_hash(argument)
            else:
                raise ValueError(f"unknown query kind {kind!r}")
            self._known[query] = found
        return found

    def trace(self, queries: set[Query]) -> Traced:
        """The logged questions with this tree's answers, sorted (what a cache entry keeps)."""
        return tuple(sorted((kind, arg, self.answer((kind, arg))) for kind, arg in queries))

    def same(self, traced: Traced) -> bool:
        """True when this tree answers every question of `traced` as it was answered then."""
        return all(self.answer((kind, arg)) == answer for kind, arg, answer in traced)

    def _listing_hash(self, prefix: str) -> str:
        tree = self.tree
        paths = Tree.paths.fget(tree)  # type: ignore[attr-defined]  # untraced, sorted
        if self._blobs is None:
            files = tree.files._files if isinstance(tree.files, _TracedFiles) else tree.files
            self._blobs = [files[p] for p in paths]
        start = bisect.bisect_left(paths, prefix)
        end = bisect.bisect_left(paths, prefix + "\U0010ffff", start)
        digest = hashlib.sha256("\0".join(paths[start:end]).encode("utf-8", "surrogateescape"))
        digest.update(b"\1")  # blob ids have one length: the two lists cannot run together
        digest.update("\0".join(self._blobs[start:end]).encode("ascii"))
        return digest.hexdigest()
