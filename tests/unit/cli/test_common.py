from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kamalpy.cli.common import add_config_options, load_from_args
from kamalpy.errors import ConfigError

SHA = "0123456789abcdef0123456789abcdef01234567"
DEPLOY = """\
service: api
image: acme/api
servers: [10.0.0.1]
registry:
  server: localhost:5555
builder:
  arch: amd64
  context: .
"""


def _repo(tmp_path: Path) -> Path:
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(SHA + "\n")
    service = tmp_path / "services" / "api"
    service.mkdir(parents=True)
    (service / "deploy.yml").write_text(DEPLOY)
    return service


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_config_options(parser)
    return parser.parse_args(argv)


def test_version_comes_from_git_head_with_the_dirty_suffix(tmp_path: Path) -> None:
    service = _repo(tmp_path)
    asked: list[Path] = []

    def dirty(root: Path) -> bool:
        asked.append(root)
        return True

    config = load_from_args(
        _args("-s", "api"), {}, cwd=tmp_path, git_dirty=dirty, nonce=lambda: "a" * 16
    )
    assert config.version == f"{SHA}_uncommitted_{'a' * 16}"
    assert asked == [service.resolve()]


def test_clean_tree_and_explicit_versions(tmp_path: Path) -> None:
    _repo(tmp_path)
    clean = load_from_args(_args("-s", "api"), {}, cwd=tmp_path, git_dirty=lambda _: False)
    assert clean.version == SHA
    from_env = load_from_args(_args("-s", "api"), {"VERSION": "e1"}, cwd=tmp_path)
    assert from_env.version == "e1"
    flag = load_from_args(_args("-s", "api", "--version", "f1"), {"VERSION": "e1"}, cwd=tmp_path)
    assert flag.version == "f1"


def test_no_git_and_no_version_is_a_config_error(tmp_path: Path) -> None:
    service = tmp_path / "services" / "api"
    service.mkdir(parents=True)
    (service / "deploy.yml").write_text(DEPLOY)
    (tmp_path / "services" / ".git").mkdir()  # stops the root search; has no HEAD
    with pytest.raises(ConfigError, match="no version: pass --version, set VERSION"):
        load_from_args(_args(), {}, cwd=tmp_path)
