"""`kamalpy secrets edit` leaves no plaintext behind: failing editor, any catchable signal,
no core dump, and what SIGKILL left is swept by the next edit."""

from __future__ import annotations

import os
import secrets as random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kamalpy.errors import ExitCode
from kamalpy.secrets import api, members
from kamalpy.secrets.age import AgeIdentity
from kamalpy.secrets.identity import Identity

pytestmark = pytest.mark.integration

WORKTREE = Path(__file__).resolve().parents[2]

# The editor records where the plaintext is and its modes, then fails, dies of a signal, or hangs.
EDITOR = """#!/bin/sh
for last; do :; done  # the file comes last, after any options kamalpy adds
printf '%s\\n' "$@" > "$LOG/argv"
echo "$last" > "$LOG/path"
stat -c %a "$last" > "$LOG/file_mode"
stat -c %a "$(dirname "$last")" > "$LOG/dir_mode"
ulimit -c > "$LOG/core_limit"
echo "${KAMALPY_IDENTITY:-unset}" > "$LOG/identity"
echo $$ > "$LOG/editor_pid"
case "$MODE" in
  fail) exit 3 ;;
  self-int) kill -INT $$ ;;
  self-term) kill -TERM $$ ;;
  at-once) exit 0 ;;
  hang) touch "$LOG/ready"; exec sleep 60 ;;
esac
"""


def start_edit(
    tmp_path: Path, mode: str, editor_name: str = "editor.sh"
) -> tuple[subprocess.Popen[bytes], Path, str]:
    key = AgeIdentity.generate()
    who = Identity((key,), "test")
    root, log, temp = tmp_path / "repo", tmp_path / "log", tmp_path / "tmp"
    for folder in (root, log, temp):
        folder.mkdir(exist_ok=True)
    members.init(root, "me", key.recipient())
    marker = f"PLAINTEXT-{random.token_hex(16)}"
    api.set_secrets(root, "web", None, {"MARKER": marker}, who)
    (tmp_path / "bin").mkdir(exist_ok=True)
    editor = tmp_path / "bin" / editor_name
    editor.write_text(EDITOR)
    editor.chmod(0o755)
    env = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(WORKTREE),
        "KAMALPY_IDENTITY": key.encode(),
        "EDITOR": editor_name,
        "LOG": str(log),
        "MODE": mode,
        "TMPDIR": str(temp),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kamalpy", "secrets", "-C", str(root), "edit", "web"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # kamalpy keeps a signal ignored when it starts ignored (nohup), and a shell without job
        # control starts `cmd &` with SIGINT and SIGQUIT ignored: a suite started that way must
        # still test the signals' handling, so kamalpy starts with their default dispositions.
        preexec_fn=_default_signals,
    )
    return process, log, marker


def _default_signals() -> None:
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


def assert_no_plaintext_left(log: Path, marker: str, tmp_path: Path) -> None:
    plaintext = Path((log / "path").read_text().strip())
    assert (log / "file_mode").read_text().strip() == "600"
    assert (log / "dir_mode").read_text().strip() == "700"
    if Path("/dev/shm").is_dir():
        assert str(plaintext).startswith("/dev/shm/")
    assert not plaintext.exists() and not plaintext.parent.exists()
    for base in (Path("/dev/shm"), tmp_path / "tmp"):
        for path in base.rglob("*"):
            if path.is_file() and path.stat().st_size < 1 << 20:
                try:
                    assert marker.encode() not in path.read_bytes(), path
                except PermissionError:
                    continue


@pytest.mark.parametrize("mode", ["fail", "self-int", "self-term"])
def test_editor_that_fails_or_dies_leaves_no_plaintext(tmp_path: Path, mode: str) -> None:
    process, log, marker = start_edit(tmp_path, mode)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.BAD_INPUT, stderr
    assert b"is unchanged" in stderr and marker.encode() not in stderr
    assert_no_plaintext_left(log, marker, tmp_path)


def wait_for_editor(process: subprocess.Popen[bytes], log: Path) -> Path:
    deadline = time.monotonic() + 30
    while not (log / "ready").exists():
        assert time.monotonic() < deadline and process.poll() is None, "editor never started"
        time.sleep(0.05)
    plaintext = Path((log / "path").read_text().strip())
    assert plaintext.exists()  # it is there while the editor runs
    return plaintext


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
           signal.SIGUSR2, signal.SIGALRM, signal.SIGRTMIN]  # fmt: skip


@pytest.mark.parametrize("sig", SIGNALS, ids=[signal.Signals(s).name for s in SIGNALS])
def test_signal_to_kamalpy_while_editing_leaves_no_plaintext(
    tmp_path: Path, sig: signal.Signals
) -> None:
    process, log, marker = start_edit(tmp_path, "hang")
    wait_for_editor(process, log)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert_no_plaintext_left(log, marker, tmp_path)


def test_no_core_dump_and_no_identity_reach_the_editor(tmp_path: Path) -> None:
    process, log, _ = start_edit(tmp_path, "fail")
    process.communicate(timeout=60)
    assert (log / "core_limit").read_text().strip() == "0"
    assert (log / "identity").read_text().strip() == "unset"


def test_what_sigkill_left_is_swept_by_the_next_edit(tmp_path: Path) -> None:
    process, log, _ = start_edit(tmp_path, "hang")
    plaintext = wait_for_editor(process, log)
    process.kill()  # cannot be caught: the folder stays until someone sweeps it
    process.wait()
    os.kill(int((log / "editor_pid").read_text()), signal.SIGKILL)
    assert plaintext.exists()
    (tmp_path / "again").mkdir()
    again, _, _ = start_edit(tmp_path / "again", "fail")
    again.communicate(timeout=60)
    assert not plaintext.parent.exists()
