"""setup's probe: parsed into a report, each problem with its exact fix; runs for real locally."""

from __future__ import annotations

import subprocess

import pytest

from kamalpy.commands import setup


def report(text: str) -> setup.Report:
    return setup.parse_probe(text)


READY = "user deploy\ndocker ok 28.1\ncurl ok\nos debian\nport 80 container kamal-proxy traefik\n"


def test_a_ready_host_has_no_problem_and_our_proxy_may_hold_the_port() -> None:
    parsed = report(READY)
    assert parsed == setup.Report("deploy", "ok", "28.1", True, "debian", ((80, "ours"),))
    assert setup.problems(parsed) == []


@pytest.mark.parametrize(
    ("text", "what", "fix"),
    [
        ("user ann\ndocker unusable permission denied\ncurl ok\n",
         "Docker is installed but ann cannot use it (permission denied)",
         "sudo usermod -aG docker ann"),
        ("user ann\ndocker missing\ncurl ok\nos debian\n", "Docker is not installed",
         "get.docker.com"),
        ("user root\ndocker ok 1\ncurl missing\n", "curl is not installed", "apt-get install"),
        ("user root\ndocker ok 1\ncurl ok\nport 80 container kamal-proxy \n",
         "port 80 is held by Kamal's kamal-proxy", "kamal proxy remove"),
        ("user root\ndocker ok 1\ncurl ok\nport 443 container web1 \n",
         "port 443 is published by container web1", "docker rm -f web1"),
        ("user root\ndocker ok 1\ncurl ok\nport 80 listener\n",
         "port 80 is in use by a process outside Docker", "ss -ltnp 'sport = :80'"),
    ],
)  # fmt: skip
def test_each_problem_says_what_and_the_exact_fix(text: str, what: str, fix: str) -> None:
    [problem] = setup.problems(report(text))
    assert problem.what.startswith(what)
    assert fix in problem.fix


def test_docker_absent_on_debian_as_root_is_installed_not_reported() -> None:
    parsed = report("user root\ndocker missing\ncurl ok\nos ubuntu\n")
    assert setup.can_install_docker(parsed)
    assert setup.problems(parsed) == []


def test_probe_runs_in_a_plain_shell_without_docker() -> None:
    """The probe itself is read-only shell; here with no docker on PATH, port 1 checked."""
    argv = setup.probe_argv([1])
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(["env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv],
                          capture_output=True, text=True, check=True)  # fmt: skip
    parsed = setup.parse_probe(done.stdout)
    assert parsed.user
    assert parsed.ports == ((1, "free"),)


def test_problems_in_full_for_a_host_missing_everything() -> None:
    parsed = report("docker missing\nport 80 listener\nport 443 container web1 \nport 8 free\n")
    found = [(p.what, p.fix) for p in setup.problems(parsed)]
    move = "or publish kamalpy's proxy elsewhere (proxy.run.http_port/https_port)"
    assert found == [
        ("Docker is not installed", "install it: curl -fsSL https://get.docker.com | sudo sh"),
        ("curl is not installed", "sudo apt-get install -y curl"),
        ("port 80 is in use by a process outside Docker (nginx? apache?)",
         f"find it with: sudo ss -ltnp 'sport = :80', stop it, {move}"),
        ("port 443 is published by container web1", f"stop it: docker rm -f web1, {move}"),
    ]  # fmt: skip


def test_an_unknown_user_is_called_the_ssh_user() -> None:
    [problem] = setup.problems(report("docker unusable denied\ncurl ok\n"))
    assert problem.what == "Docker is installed but the ssh user cannot use it (denied)"
    assert problem.fix == (
        "start it (sudo systemctl enable --now docker) and let the ssh user use it: "
        "sudo usermod -aG docker the ssh user, then log in again"
    )


def test_kamal_s_proxy_on_a_port_is_named_with_its_removal() -> None:
    [problem] = setup.problems(report("docker ok 1\ncurl ok\nport 443 container kamal-proxy \n"))
    assert problem.what == "port 443 is held by Kamal's kamal-proxy (kamalpy runs Traefik)"
    assert problem.fix == (
        "remove it on this host: kamal proxy remove, "
        "or publish kamalpy's proxy elsewhere (proxy.run.http_port/https_port)"
    )


def test_an_empty_probe_answer_reads_as_nothing_known() -> None:
    assert report("") == setup.Report()
    assert (setup.Report().docker, setup.Report().user, setup.Report().os) == ("missing", "", "")
