from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from kamalpy.cli.main import main
from kamalpy.commands.docker_build import pull_checked_argv
from kamalpy.errors import ExitCode

WITH_REGISTRY = """\
service: app
image: team/app
servers:
  web: [h1, h2]
  worker:
    hosts: [h3]
    cmd: sleep 60
registry:
  server: reg.example:5000
  username: bob
  password:
    - REG_PASS
builder:
  arch: amd64
  args:
    NOTE: "a b"
"""
LOCAL_REGISTRY = """\
service: app
image: team/app
servers: [h1, h2]
registry:
  server: localhost:5555
builder:
  arch: amd64
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config" / "deploy.yml"
    path.parent.mkdir()
    path.write_text(text)
    return str(path)


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[str], str]:
    monkeypatch.setenv("REG_PASS", "pa$$-w0rd")
    code = main([*argv, "--version", "v9", "--dry-run"])
    out, err = capsys.readouterr()
    return code, [line.strip() for line in out.splitlines() if ": " in line], err


def test_build_deliver_dry_run_prints_build_push_and_pull_per_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, WITH_REGISTRY)
    code, lines, _ = run(monkeypatch, capsys, "build", "deliver", "-c", config, "-r", "worker")
    root = Path(config).parent.parent
    image = "reg.example:5000/team/app:v9"
    assert code == ExitCode.OK
    assert lines == [
        f"local: docker build --platform linux/amd64 --tag {image} "
        f"--tag reg.example:5000/team/app:latest --label service=app --file {root}/Dockerfile "
        f"--build-arg 'NOTE=a b' {root}",
        f"local: docker push {image}",
        "local: docker push reg.example:5000/team/app:latest",
        "h3: " + shlex.join(pull_checked_argv(image, "app")),
    ]


def test_registry_login_dry_run_never_shows_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, WITH_REGISTRY)
    code, lines, err = run(monkeypatch, capsys, "registry", "login", "-c", config, "-H", "h1")
    login = "docker login reg.example:5000 --username bob --password-stdin  # 9 bytes on stdin"
    assert code == ExitCode.OK
    assert lines == [f"local: {login}", f"h1: {login}"]
    assert "pa$$" not in "".join(lines) + err


def test_registry_logout_skipping_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, WITH_REGISTRY)
    _, lines, _ = run(monkeypatch, capsys, "registry", "logout", "-c", config, "-L")
    assert lines == [f"{h}: docker logout reg.example:5000" for h in ("h1", "h2", "h3")]


def test_local_registry_form_streams_the_image_over_ssh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, LOCAL_REGISTRY)
    code, lines, _ = run(monkeypatch, capsys, "build", "pull", "-c", config, "-H", "h2")
    assert code == ExitCode.OK
    image = "localhost:5555/team/app:v9"
    assert lines == [
        f"local: docker image inspect --format '{{{{.Id}}}}' {image}",
        f"local: docker image inspect --format '{{{{json .RootFS.Layers}}}}' {image}",
        f"h2: docker image inspect --format '{{{{.Id}}}}' {image}",
        "h2: docker image ls --all --quiet --no-trunc",
        f"local: docker save {image} | h2: docker load",
        f"h2: docker tag {image} localhost:5555/team/app:latest",
        f"h2: docker image inspect --format '{{{{.Id}}}}' {image}",
    ]


def test_unknown_host_is_a_usage_error_listing_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, LOCAL_REGISTRY)
    code, _, err = run(monkeypatch, capsys, "build", "pull", "-c", config, "-H", "h9")
    assert code == ExitCode.BAD_INPUT
    assert "unknown host(s): h9" in err and "hosts: h1, h2" in err


def test_registry_password_comes_from_the_encrypted_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kamalpy.secrets import members, set_secrets
    from kamalpy.secrets.age import AgeIdentity
    from kamalpy.secrets.identity import Identity

    key = AgeIdentity.generate()
    alice = Identity((key,), "alice")
    members.init(tmp_path, "alice", alice.recipients()[0])
    set_secrets(tmp_path, "app", None, {"REG_PASS": "from-the-store"}, alice)
    service = tmp_path / "services" / "app"
    service.mkdir(parents=True)
    (service / "deploy.yml").write_text(WITH_REGISTRY)
    monkeypatch.setenv("KAMALPY_IDENTITY", key.encode())
    monkeypatch.delenv("REG_PASS", raising=False)
    code = main(["registry", "login", "-c", str(service / "deploy.yml"), "-R", "--version", "v9",
                 "--dry-run"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "--password-stdin  # 14 bytes on stdin" in out and "from-the-store" not in out
