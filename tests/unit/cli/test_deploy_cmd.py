from __future__ import annotations

import re
from pathlib import Path

import pytest

from kamalpy.cli.main import main

DEPLOY_YML = """\
service: hey
image: hey
servers:
  web: [10.0.0.1, 10.0.0.2]
  workers:
    hosts: [10.0.0.3]
    cmd: bin/jobs
proxy:
  host: hey.example.com
registry:
  server: registry.example.com
  username: bot
  password: literal-password
builder:
  arch: amd64
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "deploy.yml"
    path.parent.mkdir()
    path.write_text(DEPLOY_YML)
    return path


def commands(out: str) -> list[str]:
    """The printed commands, one per host line (a script's own lines stay with it)."""
    return re.split(r"\n(?=  [\w.]+: )", out)


def test_dry_run_prints_every_command_per_host_and_a_summary(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "-c", str(config), "--version", "v9", "--skip-push", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    pull = "kamalpy-pull registry.example.com/hey:v9 hey"
    assert any(line.startswith("  10.0.0.1: sh -c 'docker pull") and pull in line for line in lines)
    for host, name in (("10.0.0.2", "hey-web-v9"), ("10.0.0.3", "hey-workers-v9")):
        env = f".kamal/apps/hey/env/roles/{name.split('-')[1]}.env"
        boot = f"kamalpy-boot {name} replace {env} "
        run = "docker run --detach --restart unless-stopped"
        assert any(c.startswith(f"  {host}: bash -c") and boot in c and run in c
                   for c in commands(out))  # fmt: skip
    assert "10.0.0.1: mv -f -- .kamal/proxy/dynamic/.hey-web.v9.tmp" in out
    assert "10.0.0.3: mv -f" not in out  # workers are not behind the proxy
    assert "literal-password" not in out
    assert out.rstrip().splitlines()[-1].startswith("Dry run of hey version v9 in ")


def test_quiet_hides_step_lines_but_keeps_the_result(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["-q", "deploy", "-c", str(config), "--version", "v9", "--skip-push", "--dry-run"])
    out = capsys.readouterr().out
    assert "  ok  (" not in out
    assert "Dry run of hey version v9" in out


def test_unknown_role_is_bad_input_naming_the_roles(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "-c", str(config), "--version", "v9", "-r", "nope", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown role(s): nope" in err and "roles: web, workers" in err


def test_rollback_dry_run_starts_the_retained_container(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rollback", "-c", str(config), "v1", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "10.0.0.1: sh -c" in out and "hey-web-v1 start" in out
    assert "Dry run of rollback to hey version v1" in out


def test_redeploy_never_boots_the_proxy(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["redeploy", "-c", str(config), "--version", "v9", "--skip-push", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "kamalpy-proxy-boot" not in out
    assert "10.0.0.1: mv -f -- .kamal/proxy/dynamic/.hey-web.v9.tmp" in out


def test_deploy_dry_run_boots_the_proxy_only_on_proxied_hosts(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["deploy", "-c", str(config), "--version", "v9", "--skip-push", "--dry-run"])
    boots = [ln for ln in capsys.readouterr().out.splitlines() if "kamalpy-proxy-boot" in ln]
    assert sorted(ln.split(":")[0].strip() for ln in boots) == ["10.0.0.1", "10.0.0.2"]
    assert all("127.0.0.1:8089:8080" in ln and "traefik:v3" in ln for ln in boots)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["prune"], "kamalpy-prune hey '' web 4"),
        (["app", "remove", "-r", "web"], "rm -f -- .kamal/proxy/dynamic/hey-web.yml"),
        (["app", "maintenance", "-r", "web"], "mv -f -- .kamal/proxy/dynamic/.hey-web.maintenance"),
        (
            ["app", "maintenance", "-r", "web"],
            "kamalpy-http 127.0.0.1 8089 /api/http/services/hey-web@file",
        ),
        (["lock", "release"], "echo released' kamalpy-lock .kamal/lock-hey"),
    ],
)
def test_mutating_commands_dry_run(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code = main([*argv, "-c", str(config), "--dry-run"])
    assert code == 0
    assert expected in capsys.readouterr().out
