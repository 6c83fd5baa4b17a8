from __future__ import annotations

import json
from pathlib import Path

import pytest

from kamalpy.cli.main import main
from kamalpy.config.schema import SECTIONS
from kamalpy.errors import ExitCode

DEPLOY = """\
service: api
image: acme/api
servers:
  web: [10.0.0.1]
  jobs:
    hosts: [10.0.0.2]
    cmd: bin/jobs
registry:
  server: ghcr.io
  username: bot
  password: [GHCR_TOKEN]
builder:
  arch: amd64
env:
  clear:
    PORT: 3000
  secret: [DATABASE_PASSWORD]
volumes: ["/srv/a b:/data"]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "deploy.yml").write_text(DEPLOY)
    (tmp_path / "services" / "api" / "deploy.staging.yml").write_text(
        "servers:\n  web: [10.9.0.1]\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERSION", "v7")
    return tmp_path


def test_config_json_has_kamal_keys_and_redacted_credentials(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "-s", "api", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["roles"] == ["jobs", "web"]
    assert data["absolute_image"] == "ghcr.io/acme/api:v7"
    assert data["volume_args"] == ["--volume", "/srv/a b:/data"]
    assert data["registry"] == {
        "server": "ghcr.io",
        "username": "[REDACTED]",
        "password": "secret:GHCR_TOKEN",
    }
    assert data["env"]["web"] == {"clear": ["PORT"], "secret": ["DATABASE_PASSWORD"]}
    assert "3000" not in json.dumps(data["env"])


def test_destination_and_version_options(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "-d", "staging", "--version", "v9", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert (data["hosts"], data["version"], data["destination"]) == (
        ["10.0.0.2", "10.9.0.1"],
        "v9",
        "staging",
    )


def test_plain_output_is_yaml_with_the_same_values(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("roles:\n- jobs\n- web\n")
    assert "primary_host: 10.0.0.1" in out


def test_invalid_config_exits_2_with_every_problem(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = (
        DEPLOY.replace("cmd: bin/jobs", "cmd: bin/jobs\n    command: x") + "readiness_delay: soon\n"
    )
    (repo / "services" / "api" / "deploy.yml").write_text(bad)
    assert main(["config"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "services/api/deploy.yml:8:5: servers/jobs/command: unknown key" in err
    assert "services/api/deploy.yml:20:18: readiness_delay: should be an integer" in err
    assert "Traceback" not in err


def test_docs_prints_a_section_and_rejects_unknown_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["docs", "proxy"]) == ExitCode.OK
    assert "healthcheck:" in capsys.readouterr().out
    assert main(["docs", "nope"]) == ExitCode.BAD_INPUT
    assert "sections: configuration" in capsys.readouterr().err


@pytest.mark.parametrize("section", SECTIONS)
def test_every_docs_section_prints(section: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", section]) == ExitCode.OK
    assert capsys.readouterr().out.strip()
