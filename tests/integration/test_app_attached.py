"""`app logs -f` and `app exec -i`: this terminal attached to one host, over the ssh master."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

from tests.integration.deploy_support import Service, service_fixture

svc = service_fixture("att", deployed="v1", workers=False)


def test_logs_follow_streams_new_lines_until_interrupted(svc: Service) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "kamalpy", "app", "logs", "-f", "-n", "0", "-H", "h2",
         "--grep", "response:404"],
        cwd=svc.root, env=svc.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(10):  # bounded: 20 requests to h2's proxy over ~5 s
            assert follower.poll() is None, "the follower ended by itself"
            svc.get("h2", "/version")  # busybox httpd logs `response:200`
            svc.get("h2", "/no-such-page")  # and `response:404`
            time.sleep(0.5)
    finally:
        time.sleep(1)
        os.killpg(follower.pid, signal.SIGINT)  # what ^C does: the whole foreground group
        output, _ = follower.communicate(timeout=30)
    assert follower.returncode == 130, output
    lines = [ln for ln in output.splitlines() if ln.startswith("20")]  # docker's timestamps
    assert len(lines) >= 5, output
    assert all("response:404" in ln for ln in lines), output


def test_exec_interactive_attaches_a_terminal_to_the_running_container(svc: Service) -> None:
    command = shlex.join([
        sys.executable, "-m", "kamalpy", "app", "exec", "-i", "--reuse", "-H", "h3", "--",
        "/bin/sh", "-c", "if [ -t 0 ]; then echo tty:yes; fi; read answer; echo got:$answer",
    ])  # fmt: skip
    # `script` gives kamalpy a real pseudo-terminal, as a person's shell would.
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"], cwd=svc.root, env=svc.env(),
        input="42\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tty:yes" in done.stdout
    assert "got:42" in done.stdout


def test_exec_without_a_command_is_bad_input(svc: Service) -> None:
    result = svc.kamalpy("app", "exec", "-i", "--reuse")
    assert result.returncode == 2
    assert "needs a command" in result.stderr
