"""A cache of each service's loaded configuration and image digest, kept in the git directory.

Loading 500 deploy.yml and walking their inputs costs seconds; both are functions of content
git names by hash. An entry is found by a key over the code that computed it, the loader's
settings and the blob ids of the service's deploy files, and is used only when the variables
its ERB read still have the same values (kept as keyed MACs, never in clear), HEAD is the same
if ERB read it, and the tree answers every question the inputs computation asked the same way
(`monorepo.trace`). So a stale or planted entry can only miss, never change a decision.

The file lives in `.git/kamalpy-cache/` (never in the work tree: nothing pushed can plant it),
is written atomically, and is ignored when unreadable, corrupt, not the user's own, writable by
others, or written by other code. It is unpickled with an allow-list of classes, and an entry
whose configuration holds a literal secret (`Sensitive`) is never written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import os
import pickle
import secrets
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from kamalpy.config.model import Configuration
from kamalpy.config.trace import LoadTrace
from kamalpy.monorepo.trace import Traced
from kamalpy.monorepo.tree import Tree
from kamalpy.sensitive import Sensitive

FORMAT = 1  # bump when what an entry holds or means changes
FILE_NAME = "plan-cache.pickle"
# Classes only (never a function: unpickling calls what it finds), from the modules whose
# values an entry holds.
_ALLOWED_MODULES = (
    "kamalpy.config.",
    "kamalpy.monorepo.",
    "kamalpy.deploy.plan_cache",
    "kamalpy.sensitive",
    "pathlib",
)
_ALLOWED_BUILTINS = {"frozenset", "set", "tuple", "list", "dict", "bytes", "str", "int"}


@dataclass(frozen=True)
class Entry:
    """One service as computed once, and what it was computed from besides its key."""

    env: tuple[tuple[str, str | None], ...]  # variable -> MAC of its value (None: unset)
    head: str | None  # HEAD when ERB read it ("" when it did not)
    config: Configuration
    config_parts: tuple[tuple[str, str], ...]  # runtime parts without the secrets' MACs
    inputs: Traced | None = None  # the tree questions the image digest depends on
    image_digest: str | None = None


@dataclass
class PlanCache:
    """The cache of one run: entries read once, new ones written back by `save`."""

    code: str  # fingerprint of the code and settings that compute entries (see `fingerprint`)
    environ: Mapping[str, str]
    destination: str | None
    revive: Callable[[Configuration], Configuration | None]  # the version as of this run
    path: Path | None = None
    entries: dict[str, Entry | bytes] = field(default_factory=dict)  # bytes: not unpickled yet
    salt: bytes = b""
    changed: bool = False
    used: set[str] = field(default_factory=set)  # keys of this tree's services: the rest is stale

    def open(self, git_dir: Path | None) -> None:
        """Read the cache file of the repository whose git directory is `git_dir`."""
        if git_dir is None:
            return
        self.path = git_dir / "kamalpy-cache" / FILE_NAME
        stored = _read(self.path)
        if stored is not None and stored.get("code") == self.code:
            self.entries, self.salt = stored["entries"], stored["salt"]
        if not self.salt:
            self.salt, self.entries = secrets.token_bytes(32), {}

    def key(self, tree: Tree, config_file: str, root: Path) -> str | None:
        """The key of a service's entry, None when its deploy files are not all in the tree."""
        files = self.files(config_file)
        blobs = [tree.files.get(name) for name in files]
        if None in blobs:
            return None
        parts = [self.code, str(root), str(self.destination), *files, *map(str, blobs)]
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()

    def files(self, config_file: str) -> list[str]:
        """The deploy files one service's configuration is loaded from (repo-relative)."""
        files = [config_file]
        if self.destination:  # named as `config.loader.destination_path` does (not imported:
            # a plan served from the cache never needs the loader)
            path = PurePosixPath(config_file)
            files.append(str(path.with_name(f"{path.stem}.{self.destination}{path.suffix}")))
        return files

    def get(self, key: str, tree: Tree) -> Entry | None:
        """The entry under `key` when what its load read still reads the same, else None."""
        self.used.add(key)
        stored = self.entries.get(key)
        entry = _unpickle(stored) if isinstance(stored, bytes) else stored
        if entry is None:
            self.entries.pop(key, None)
            return None
        self.entries[key] = entry
        if entry.head and entry.head != tree.revision:
            return None
        if any(self._mac(self.environ.get(name)) != mac for name, mac in entry.env):
            return None
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Remember an entry (written by `save`)."""
        self.entries[key] = entry
        self.used.add(key)
        self.changed = True

    def entry(
        self,
        sources: str,
        revision: str | None,
        trace: LoadTrace,
        config: Configuration,
        parts: Mapping[str, str],
    ) -> Entry | None:
        """A new entry for a traced load, None when the load cannot be replayed or when it
        holds a literal credential that is not written in clear in its files (`sources`)."""
        if not trace.reusable:
            return None
        read = {value for value in trace.env.values() if value}
        literals = _literals(config)
        if literals is None or any(v not in sources or v in read for v in literals):
            return None  # from the environment through ERB: never written to disk here
        env = tuple(sorted((name, self._mac(value)) for name, value in trace.env.items()))
        head = (revision or "-") if trace.head else ""
        return Entry(env, head, config, tuple(sorted(parts.items())))

    def _mac(self, value: str | None) -> str | None:
        if value is None:
            return None
        return hmac.new(self.salt, value.encode("utf-8", "surrogateescape"), "sha256").hexdigest()

    def save(self) -> None:
        """Write the entries back, atomically, when something changed (errors: no cache)."""
        if self.path is None or not (self.changed or set(self.entries) - self.used):
            return
        entries = {}
        for key in self.used & set(self.entries):
            entry = self.entries[key]
            stored = entry if isinstance(entry, bytes) else _pickle(entry)
            if stored is not None:
                entries[key] = stored
        data = {"code": self.code, "salt": self.salt, "entries": entries}
        try:
            self.path.parent.mkdir(mode=0o700, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".plan-cache-")
        except OSError:
            return  # a read-only checkout plans as fast as before, only not faster
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(name, self.path)
        except OSError:
            Path(name).unlink(missing_ok=True)
            return
        self.changed = False


def fingerprint(version: str, package: Path, extra: str = "") -> str:
    """A hash of what computes entries: kamalpy's version and files (size, mtime), Python."""
    stats = []
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        info = path.stat()
        stats.append(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}")
    text = "\0".join([str(FORMAT), version, sys.version, extra, *stats])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _pickle(entry: Entry) -> bytes | None:
    """The entry pickled (read back by `_unpickle`); None when something in it cannot be."""
    out = io.BytesIO()
    try:
        _Writer(out, protocol=pickle.HIGHEST_PROTOCOL).dump(entry)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None  # e.g. a value type added to the model later: that service is not cached
    return out.getvalue()


def _unpickle(data: bytes) -> Entry | None:
    """An entry written by `_pickle`, None when it is damaged or holds anything else."""
    try:
        entry = _Allowed(io.BytesIO(data)).load()
    except Exception:  # any damage to a cache entry means: no entry
        return None
    return entry if isinstance(entry, Entry) else None


def _literals(config: Configuration) -> list[str] | None:
    """The literal credentials (`Sensitive` values) a configuration holds; None: unpicklable."""
    found: list[str] = []
    try:
        _Writer(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL, seen=found).dump(config)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return found


class _FrozenMap:
    """Rebuilds a read-only mapping (a class: the unpickler constructs only classes)."""

    def __new__(cls, items: dict[Any, Any]) -> Any:
        return MappingProxyType(items)


class _Writer(pickle.Pickler):
    def __init__(self, out: io.BytesIO, protocol: int, seen: list[str] | None = None) -> None:
        super().__init__(out, protocol=protocol)
        self.seen = seen

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Sensitive):
            if self.seen is not None:
                self.seen.append(obj.reveal())
            return Sensitive, (obj.reveal(),)
        if isinstance(obj, MappingProxyType):
            return _FrozenMap, (dict(obj),)
        names = _init_fields(type(obj))
        if names is not None:  # rebuilt by its constructor: a third faster than slot by slot
            return type(obj), tuple(getattr(obj, name) for name in names)
        return NotImplemented


_INIT_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _init_fields(kind: type) -> tuple[str, ...] | None:
    """A kamalpy dataclass's fields when its constructor takes exactly them, else None."""
    if kind not in _INIT_FIELDS:
        names = None
        if kind.__module__.startswith("kamalpy.") and dataclasses.is_dataclass(kind):
            fields = dataclasses.fields(kind)
            if all(f.init for f in fields) and not hasattr(kind, "__post_init__"):
                names = tuple(f.name for f in fields)
        _INIT_FIELDS[kind] = names
    return _INIT_FIELDS[kind]


class _Allowed(pickle.Unpickler):
    """Only kamalpy's own classes, paths and builtin containers: nothing else is constructed."""

    def find_class(self, module: str, name: str) -> Any:
        found = _FOUND.get((module, name))
        if found is None:
            allowed = module.startswith(_ALLOWED_MODULES) or (
                module == "builtins" and name in _ALLOWED_BUILTINS
            )
            found = super().find_class(module, name) if allowed else None
            if not isinstance(found, type):
                raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the plan cache")
            _FOUND[(module, name)] = found  # each entry is its own pickle: look up once
        return found


_FOUND: dict[tuple[str, str], type] = {}


def _read(path: Path) -> dict[str, Any] | None:
    """The stored cache, or None when absent, unreadable, corrupt or not safely ours."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None
            data = _Allowed(handle).load()
    except Exception:  # any damage to a cache file means: no cache
        return None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        return None
    if not isinstance(data.get("salt"), bytes):
        return None
    if not all(isinstance(k, str) and isinstance(v, bytes) for k, v in data["entries"].items()):
        return None
    return data
