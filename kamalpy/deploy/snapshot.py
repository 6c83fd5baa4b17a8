"""Make `Tree`s from git for the monorepo layer: the working tree, or any past revision.

The working tree is what `docker build` would see: tracked files at their working-tree
content plus untracked, not-ignored ones. Dirty files are hashed with `git hash-object`
(nothing is written), so a file edited and then put back has its committed blob id again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kamalpy.commands import git
from kamalpy.errors import UsageError
from kamalpy.executor.base import LOCAL, Executor
from kamalpy.monorepo.tree import Tree

_HASH_CHUNK = 500


def repository_top(executor: Executor, start: Path) -> Path:
    """The git repository holding `start`; UsageError outside one."""
    result = executor.run(LOCAL, git.toplevel_argv(start), check=False)
    if not result.ok or not result.stdout.strip():
        raise UsageError(
            f"{start}: not inside a git repository",
            hint="monorepo deploys decide from git content: run `git init` and commit",
        )
    return Path(result.stdout.strip())


def head_revision(executor: Executor, root: Path) -> str | None:
    """The full SHA of HEAD, or None before the first commit."""
    result = executor.run(LOCAL, git.head_argv(root), check=False)
    return result.stdout.strip() or None if result.ok else None


def working_tree(executor: Executor, root: Path) -> Tree:
    """The working tree as git sees it (tracked + untracked, not ignored), with dirty paths."""
    # `git status` stats every file (the longest step, mostly in git): it runs while the
    # index is listed and read here. Both only read the index (status may refresh its stat
    # data, atomically), so neither sees the other half-done.
    with ThreadPoolExecutor(max_workers=2) as pool:
        status = pool.submit(executor.run, LOCAL, git.status_v2_argv(root))
        head = pool.submit(head_revision, executor, root)
        files = _tracked(executor, root)
        changed, deleted = _parse_status(status.result().stdout)
        revision = head.result()
    for path in deleted:
        files.pop(path, None)
    present = tuple(p for p in changed if (root / p).is_file())
    for start in range(0, len(present), _HASH_CHUNK):
        chunk = present[start : start + _HASH_CHUNK]
        blobs = executor.run(LOCAL, git.hash_objects_argv(root, chunk)).stdout.split()
        files.update(zip(chunk, blobs, strict=True))
    for path in set(changed) - set(present):
        files.pop(path, None)
    return Tree(
        files=files,
        read=lambda path: (root / path).read_bytes(),
        dirty=frozenset(changed) | frozenset(deleted),
        revision=revision,
    )


def _tracked(executor: Executor, root: Path) -> dict[str, str]:
    """Tracked path -> blob id (stage 0, or 2 for ours in a merge)."""
    fields = executor.run(LOCAL, git.ls_files_fields_argv(root), check=False)
    if fields.ok:  # three fields a record, split by C: a third of parsing records one by one
        values = fields.stdout.split("\0")
        paths, blobs, stages = values[0:-1:3], values[1::3], values[2::3]
        if len(paths) == len(blobs) == len(stages) and stages.count("0") == len(stages):
            return dict(zip(paths, blobs, strict=True))
    # git before 2.38 has no --format (or a merge is in progress): the classic listing.
    return _parse_ls_files(executor.run(LOCAL, git.ls_files_argv(root)).stdout)


def _parse_ls_files(out: str) -> dict[str, str]:
    """Path -> blob id from `git ls-files --stage -z`: `<mode> <blob> <stage>\t<path>` records."""
    records = out.split("\0")
    if records[-1] == "":
        records.pop()
    if not records:
        return {}
    # Modes have six digits and blob ids one length per repository, so every record has its
    # tab at one offset: slicing 100k records costs a third of splitting each one.
    tab = records[0].find("\t")
    if tab < 0 or any(r[tab : tab + 1] != "\t" for r in (records[0], records[-1])):
        return dict(_parse_ls_files_slowly(records))
    stage, blob = tab - 1, slice(7, tab - 2)
    return {r[tab + 1 :]: r[blob] for r in records if r[stage] in "02"}  # 2: ours in a merge


def _parse_ls_files_slowly(records: list[str]) -> list[tuple[str, str]]:
    entries = []
    for record in records:
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if path and len(fields) == 3 and fields[2] in ("0", "2"):  # stage 2: ours in a merge
            entries.append((path, fields[1]))
    return entries


def _parse_status(out: str) -> tuple[list[str], list[str]]:
    """(changed paths to hash, paths deleted from the working tree) from porcelain v2 -z."""
    changed: list[str] = []
    deleted: list[str] = []
    for record in out.split("\0"):
        if record.startswith("? "):
            changed.append(record[2:])
        elif record.startswith(("1 ", "u ")):
            fields = record.split(" ", 8 if record[0] == "1" else 10)
            xy, path = fields[1], fields[-1]
            (deleted if xy[1] == "D" or (xy[0] == "D" and xy[1] == ".") else changed).append(path)
    return changed, deleted


@dataclass
class RevisionTrees:
    """Trees of past revisions, fetched from `origin` when missing (shallow clones), cached."""

    executor: Executor
    root: Path
    cache: dict[str, Tree | None] = field(default_factory=dict)

    def get(self, revision: str) -> Tree | None:
        """The Tree of `revision`, or None when git cannot find it even after a fetch."""
        if revision not in self.cache:
            self.cache[revision] = self._load(revision)
        return self.cache[revision]

    def _load(self, revision: str) -> Tree | None:
        if not self._present(revision) and not self._fetch(revision):
            return None
        out = self.executor.run(LOCAL, git.ls_tree_argv(self.root, revision)).stdout
        files = {}
        for record in out.split("\0"):
            meta, _, path = record.partition("\t")
            fields = meta.split()
            if path and len(fields) == 3:
                files[path] = fields[2]
        return Tree(files=files, read=self._reader(files), revision=revision)

    def resolve(self, ref: str) -> str | None:
        """The full SHA `ref` names (fetched from origin when missing), or None."""
        if not self._present(ref) and not self._fetch(ref):
            return None
        result = self.executor.run(LOCAL, git.has_commit_argv(self.root, ref), check=False)
        return result.stdout.strip() or None

    def _present(self, revision: str) -> bool:
        return self.executor.run(LOCAL, git.has_commit_argv(self.root, revision), check=False).ok

    def _fetch(self, revision: str) -> bool:
        shallow = self.executor.run(LOCAL, git.is_shallow_argv(self.root), check=False)
        argv = git.fetch_commit_argv(self.root, revision, shallow=shallow.stdout.strip() == "true")
        return self.executor.run(LOCAL, argv, check=False).ok and self._present(revision)

    def _reader(self, files: dict[str, str]) -> Callable[[str], bytes]:
        # One git process per file made `plan --since` on a big monorepo take minutes: the
        # files the inputs rules read (deploy.yml, Dockerfiles, pyproject, .dockerignore,
        # requirements) come in one `cat-file --batch` at the first read; others one by one.
        batch: dict[str, bytes] | None = None

        def read(path: str) -> bytes:
            nonlocal batch
            blob = files[path]  # KeyError for an absent path, as Tree promises
            if batch is None:
                wanted = sorted({b for p, b in files.items() if PREFETCHED.search(p)})
                batch = self._read_batch(wanted)
            if blob in batch:
                return batch[blob]
            out = self.executor.run(LOCAL, git.cat_blob_argv(self.root, blob)).stdout
            return out.encode("utf-8")

        return read

    def _read_batch(self, blobs: list[str]) -> dict[str, bytes]:
        if not blobs:
            return {}
        request = "".join(f"{blob}\n" for blob in blobs).encode()
        result = self.executor.run(LOCAL, git.cat_blobs_argv(self.root), stdin=request, check=False)
        return parse_cat_batch(result.stdout.encode("utf-8"), blobs) if result.ok else {}


# Files the inputs rules and the configuration loader read from a past revision.
PREFETCHED = re.compile(
    r"(?:^|/)(?:pyproject\.toml|[^/]*\.?dockerignore|[^/]*Dockerfile[^/]*|deploy[^/]*\.ya?ml"
    r"|requirements[^/]*\.(?:txt|in))$"
)


def parse_cat_batch(out: bytes, blobs: list[str]) -> dict[str, bytes]:
    """Contents from `git cat-file --batch` output for `blobs`, in order; stops at the first
    record that does not parse (the caller reads the rest one by one)."""
    contents: dict[str, bytes] = {}
    at = 0
    for blob in blobs:
        end = out.find(b"\n", at)
        header = out[at:end].split(b" ") if end >= 0 else []
        if len(header) != 2 or header[0].decode() != blob or not header[1].isdigit():
            break
        start, size = end + 1, int(header[1])
        if out[start + size : start + size + 1] != b"\n":
            break  # content that did not survive decoding (not UTF-8): read it alone
        contents[blob] = out[start : start + size]
        at = start + size + 1
    return contents
