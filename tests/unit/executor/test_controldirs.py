"""Socket directories of dead runs are found by their owner's pid and start time."""

from __future__ import annotations

import os
from pathlib import Path

from kamalpy.executor import controldirs, localproc
from kamalpy.executor.process import ProcessResult


def test_only_directories_whose_owner_is_gone_are_swept(tmp_path: Path) -> None:
    mine = Path(controldirs.create(tmp_path))
    me = localproc.this_process()
    reused = tmp_path / f"kp-ssh-{me.pid}-reused"  # our pid, another start time: a dead run
    reused.mkdir()
    (reused / "owner").write_text(f"{me.pid} 1\n")
    half_made = tmp_path / "kp-ssh-1-nowner"  # no owner file yet: a run still starting
    half_made.mkdir()
    calls: list[tuple[str, ...]] = []

    def runner(argv, **_: object) -> ProcessResult:  # type: ignore[no-untyped-def]
        calls.append(tuple(argv))
        return ProcessResult(0, b"", b"", 0.0)

    assert controldirs.dead(tmp_path) == [reused]
    assert controldirs.sweep(runner, tmp_path) == [reused]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, half_made.name])
    assert (mine / "owner").read_text() == f"{os.getpid()} {me.started}\n"
    assert calls == []  # no socket left in the dead dir, so no master to stop


def test_a_running_process_is_told_from_a_reused_pid() -> None:
    me = localproc.this_process()
    assert localproc.running(me.pid, me.started)
    assert not localproc.running(me.pid, str(int(me.started) + 1))
    assert not localproc.running(2**22 + 1, me.started)  # beyond pid_max: no such process
