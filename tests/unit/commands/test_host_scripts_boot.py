"""The boot round trip runs for real against a recording stand-in `docker`: env file, retag,
boot, the host-side readiness wait of a role without a proxy, then retire and audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.commands import app, app_scripts, audit, boot_script
from kamalpy.commands.boot_script import Boot, Readiness, Retag, read_answer
from tests.support.hostsh import HostShell

RUN = ("docker", "run", "--detach", "--name", "hey-web-v2", "hey:v2")
NAME = "hey-web-v2"
STATUS = ("inspect", "--format", "{{.State.Status}}", NAME)
RETIRE = ("docker", "stop", "hey-web-v1")
AUDIT = ("docker", "audit-line")
ENV = ".kamal/apps/hey/env/roles/web.env"
READING = app.state_argv(NAME)[3]  # the readiness format


@pytest.fixture
def host(tmp_path: Path) -> HostShell:
    return HostShell(tmp_path)


def _absent(host: HostShell) -> None:
    host.answer(*STATUS, status=1, stderr="Error: No such object: hey-web-v2")


def _ready(host: HostShell, *states: str) -> None:
    """The readiness readings, in turn; the last one for every later reading."""
    for state in states[:-1]:
        host.answer(READING, stdout=f"{state}\n", times=1)
    host.answer(READING, stdout=f"{states[-1]}\n")


def _worker(delay: float = 0, limit: float = 20, budget: float = 10) -> Boot:
    return Boot(NAME, RUN, False, Readiness(delay, limit, budget), RETIRE)


def _readings(host: HostShell) -> int:
    return sum(1 for c in host.calls if READING in c)


def test_boot_runs_the_new_container_when_there_is_none(host: HostShell) -> None:
    _absent(host)
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, False)))
    assert (done.returncode, done.stdout) == (0, "boot\n")
    assert host.calls == [STATUS, RUN[1:]]


def test_boot_reuses_a_running_container_of_that_version(host: HostShell) -> None:
    host.answer(*STATUS, stdout="running\n")
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, True)))
    assert (done.returncode, done.stdout) == (0, "reuse\n")
    assert host.calls == [STATUS]


def test_boot_starts_a_stopped_one_again_on_rollback(host: HostShell) -> None:
    host.answer(*STATUS, stdout="exited\n")
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, True)))
    assert (done.returncode, done.stdout) == (0, "started\n")
    assert host.calls[1:] == [("start", NAME)]


def test_boot_replaces_a_stopped_leftover_on_deploy(host: HostShell) -> None:
    host.answer(*STATUS, stdout="exited\n")
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, False)))
    assert (done.returncode, done.stdout) == (0, "boot\n")
    assert host.calls[1:] == [("rm", "--force", NAME), RUN[1:]]


def test_boot_fails_when_the_leftover_cannot_be_removed(host: HostShell) -> None:
    host.answer(*STATUS, stdout="dead\n")
    host.answer("rm", status=1)
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, False)))
    assert done.returncode == 1 and "boot" not in done.stdout
    assert host.commands("run") == []


def test_a_failed_run_fails_the_boot_with_docker_s_status(host: HostShell) -> None:
    _absent(host)
    host.answer("run", status=125, stderr="Conflict\n")
    done = host.run(boot_script.boot_argv(_worker()))
    assert (done.returncode, done.stdout, done.stderr) == (125, "boot\n", "Conflict\n")
    assert _readings(host) == 0


def test_the_env_file_comes_from_stdin_0600_in_a_0700_directory(host: HostShell) -> None:
    _absent(host)
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, False), env_file=ENV), stdin=b"A=1\n")
    assert (done.returncode, done.stdout) == (0, "boot\n"), done.stderr
    written = host.home / ENV
    assert written.read_bytes() == b"A=1\n"
    assert written.stat().st_mode & 0o777 == 0o600
    assert written.parent.stat().st_mode & 0o777 == 0o700
    assert host.calls == [STATUS, RUN[1:]]


def test_an_env_file_that_cannot_be_written_stops_before_docker(host: HostShell) -> None:
    (host.home / ".kamal").write_text("a file where the directory goes")
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, False), env_file=ENV), stdin=b"A=1\n")
    assert done.returncode == 1 and done.stdout == ""
    assert f"could not write the env file {ENV}" in done.stderr
    assert host.calls == []


def test_retag_pulls_only_a_missing_source_then_tags_each_reference(host: HostShell) -> None:
    argv = boot_script.boot_argv(
        Boot(NAME, RUN, False), retag=Retag("r/hey:digest-1", ("r/hey:v3", "hey:v3"))
    )
    host.answer("tag", status=1, stderr="No such image", times=1)  # absent until pulled
    _absent(host)
    done = host.run(argv)
    assert done.returncode == 0 and done.stderr == ""
    tag, tag_latest = ("tag", "r/hey:digest-1", "r/hey:v3"), ("tag", "r/hey:digest-1", "hey:v3")
    assert host.calls == [tag, ("pull", "r/hey:digest-1"), tag, tag_latest, STATUS, RUN[1:]]
    present = HostShell(host.root / "present")
    _absent(present)
    assert present.run(argv).returncode == 0
    assert present.calls == [tag, tag_latest, STATUS, RUN[1:]]


@pytest.mark.parametrize(("failing", "tags"), [("pull", 1), ("tag", 2), ("h:v3", 4)])
def test_a_failed_retag_stops_before_the_boot(host: HostShell, failing: str, tags: int) -> None:
    host.answer("tag", "r/h:v3", status=1, times=1)  # the source is not on the host yet
    host.answer(failing, status=1, stderr="refused\n")
    argv = boot_script.boot_argv(Boot(NAME, RUN, False), retag=Retag("r/h:d", ("r/h:v3", "h:v3")))
    done = host.run(argv)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "refused\n")
    assert len(host.commands("tag")) == tags
    assert host.commands("run") == [] and host.commands("inspect") == []


def test_a_worker_is_ready_once_it_ran_for_the_delay_then_retires_and_audits(
    host: HostShell,
) -> None:
    _absent(host)
    _ready(host, "running none 0")
    done = host.run(boot_script.boot_argv(_worker(delay=0.6), audit=AUDIT))
    assert done.stdout == "boot\nready\nthen 0 0\nthen 1 0\n", done.stderr
    assert read_answer(done.stdout).then == (0, 0)
    # Readings every 0.25 s until the 0.6 s have passed: not ready at the first ones.
    assert _readings(host) >= 3
    assert host.calls[-2:] == [RETIRE[1:], AUDIT[1:]]


def test_docker_s_health_decides_over_the_delay(host: HostShell) -> None:
    _absent(host)
    _ready(host, "running starting 0", "running healthy 0")
    done = host.run(boot_script.boot_argv(_worker(delay=30)))
    assert done.stdout == "boot\nready\nthen 0 0\n"
    assert _readings(host) == 2


def test_a_container_that_stops_is_reported_and_nothing_is_retired(host: HostShell) -> None:
    _absent(host)
    _ready(host, "running none 0", "exited none 1")
    done = host.run(boot_script.boot_argv(_worker(delay=30), audit=AUDIT))
    assert (done.returncode, done.stdout) == (0, "boot\nstopped exited none 1\n")
    assert read_answer(done.stdout).stopped == "exited none 1"
    assert host.commands("stop") == [] and host.commands("audit-line") == []


def test_a_container_gone_is_reported_stopped(host: HostShell) -> None:
    host.answer("inspect", status=1)
    done = host.run(boot_script.boot_argv(_worker(), resume=True))
    assert done.stdout == "stopped \n"


def test_never_ready_is_a_timeout_after_the_limit(host: HostShell) -> None:
    _absent(host)
    _ready(host, "running unhealthy 0")
    done = host.run(boot_script.boot_argv(_worker(limit=0.5)))
    assert done.stdout == "boot\ntimeout\n"
    assert 2 <= _readings(host) <= 4 and host.commands("stop") == []


def test_the_wait_answers_pending_after_its_budget_and_resumes_without_booting(
    host: HostShell,
) -> None:
    _absent(host)
    _ready(host, "running none 0")
    done = host.run(boot_script.boot_argv(_worker(delay=30, budget=0.3)))
    answer = read_answer(done.stdout)
    assert (answer.outcome, answer.verdict) == ("boot", "pending")
    assert answer.waited >= 0.3 and host.commands("stop") == []
    (host.bin / "docker.log").unlink()
    resumed = boot_script.boot_argv(_worker(), resume=True, ready=Readiness(0, 5), audit=AUDIT)
    again = host.run(resumed, stdin=b"ignored")
    assert again.stdout == "ready\nthen 0 0\nthen 1 0\n"
    assert [c[0] for c in host.calls] == ["inspect", "stop", "audit-line"]


def test_a_failed_retire_stops_before_the_audit_line(host: HostShell) -> None:
    _absent(host)
    _ready(host, "running none 0")
    host.answer("stop", status=3, stderr="cannot stop\n")
    done = host.run(boot_script.boot_argv(_worker(), audit=AUDIT))
    assert done.stdout == "boot\nready\nthen 0 3\n" and "cannot stop" in done.stderr
    assert host.commands("audit-line") == []


def test_the_real_retire_and_audit_line_run_after_the_boot(host: HostShell) -> None:
    _absent(host)
    _ready(host, "running none 0")
    host.answer("ps", "--all", stdout="hey-web-v2 running\nhey-web-v1 running\n")
    retire = app_scripts.retire_argv("hey", "web", None, NAME, 5, 1)
    line = audit.record_argv("hey", None, "[T] [ann] Deployed hey")
    done = host.run(boot_script.boot_argv(Boot(NAME, RUN, False, Readiness(0, 9), retire),
                                          audit=line))  # fmt: skip
    assert done.stdout == "boot\nready\nthen 0 0\nthen 1 0\n", done.stderr
    assert host.commands("stop") == [("stop", "-t", "5", "hey-web-v1")]
    assert (host.home / ".kamal/hey-audit.log").read_text() == "[T] [ann] Deployed hey\n"


def test_then_runs_each_command_and_stops_at_the_first_failure(host: HostShell) -> None:
    host.answer("second", status=4)
    argv = boot_script.then_argv([("docker", "first"), ("docker", "second"), ("docker", "third")])
    done = host.run(argv)
    assert (done.returncode, done.stdout) == (0, "then 0 0\nthen 1 4\n")
    assert host.calls == [("first",), ("second",)]
