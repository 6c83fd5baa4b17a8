"""The state file: every resource a bed created, written before or right after creating it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.testbed import proc
from tests.testbed.spec import RUN_ROOT, Bed, dumps, run_dir


@dataclass
class State:
    """Resources of one bed; `down` and the next `up` remove exactly these."""

    prefix: str
    index: int
    owner_pid: int | None = None  # a pytest session owns its bed; None: kept until `down`
    owner_start: int | None = None
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)  # root-namespace mounts (netns handles)
    etc_dirs: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    docker_tags: list[str] = field(default_factory=list)
    bed: dict[str, Any] | None = None

    @property
    def path(self) -> Path:
        """Where this state is saved."""
        return run_dir(self.prefix) / "state.json"

    def save(self) -> None:
        """Write atomically so a kill mid-write never leaves a torn file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(dumps(asdict(self)))
        os.replace(tmp, self.path)

    def note(self, kind: str, value: str) -> None:
        """Record a resource (namespace, link, dir, ...) before creating it."""
        values: list[str] = getattr(self, kind)
        if value not in values:
            values.append(value)
            self.save()

    def note_process(self, what: str, pid: int) -> None:
        """Record a daemon just started, with its start time so a reused pid is never hit."""
        self.processes.append({"what": what, "pid": pid, "start": proc.start_time(pid)})
        self.save()

    def owner_alive(self) -> bool:
        """False when the recorded owner (a pytest run) has died: its bed is a leftover."""
        if self.owner_pid is None:
            return True
        return proc.alive(self.owner_pid, self.owner_start)

    def running_bed(self) -> Bed | None:
        """The bed once bring-up finished, else None."""
        return Bed.from_json(self.bed) if self.bed else None


def load(path: Path) -> State | None:
    """Read a state file; a torn or foreign file yields a minimal state for its prefix."""
    try:
        data = json.loads(path.read_text())
        return State(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        return State(prefix=path.parent.name, index=-1)


def all_states() -> list[State]:
    """The states of every bed on this machine."""
    states = []
    for path in sorted(RUN_ROOT.glob("*/state.json")):
        state = load(path)
        if state is not None:
            states.append(state)
    return states


@contextlib.contextmanager
def allocation_lock() -> Iterator[None]:
    """Serialise index allocation and leftover cleaning between concurrent beds."""
    RUN_ROOT.mkdir(parents=True, exist_ok=True)
    with (RUN_ROOT / "alloc.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
