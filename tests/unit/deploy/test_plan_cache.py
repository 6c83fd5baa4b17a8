"""The plan cache never changes a decision: `plan --json` with and without it, edit after edit.

A small monorepo in git (a library used through a uv path source, two services with ERB,
destination overlays, Dockerfiles and .dockerignore files) goes through a series of edits;
after each, `kamalpy plan -d staging --since HEAD --json` runs without the cache
(KAMALPY_NO_CACHE) and with the cache that the earlier steps filled, and the two outputs must
be byte-identical. Then each part of the cache's key and checks is dropped in turn: the series
must catch every one of them at the edit that needs it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import kamalpy
from kamalpy.cli.main import main
from kamalpy.deploy import plan_cache
from kamalpy.monorepo import digests, trace

DEPLOY = """\
service: {name}
image: team/{name}
servers:
  web:
    hosts: [h1]
proxy:
  host: {name}.example.com
registry:
  server: registry.example.com
  username: team
  password: [REGISTRY_PASSWORD]
builder:
  arch: amd64
env:
  clear:
    REGION: <%= ENV.fetch("REGION", "eu-1") %>
    WORKERS: "2"
"""
FILES = {
    "pyproject.toml": "[project]\nname = 'mono'\nversion = '0'\n",
    "README.md": "monorepo\n",
    "libs/common/pyproject.toml": "[project]\nname = 'common'\nversion = '0'\n",
    "libs/common/common.py": "VALUE = 1\n",
    "services/api/deploy.yml": DEPLOY.format(name="api"),
    "services/api/deploy.staging.yml": "env:\n  clear:\n    STAGE: one\n",
    "services/api/Dockerfile": "FROM python:3.12\nCOPY app.py ./\n",
    "services/api/.dockerignore": "tests/\n",
    "services/api/app.py": "print('api')\n",
    "services/api/notes.md": "notes\n",
    "services/api/pyproject.toml": (
        "[project]\nname = 'api'\nversion = '0'\ndependencies = ['common']\n"
        "[tool.uv.sources]\ncommon = { path = '../../libs/common' }\n"
    ),
    "services/web/deploy.yml": DEPLOY.format(name="web"),
    "services/web/deploy.staging.yml": "env:\n  clear:\n    STAGE: one\n",
    "services/web/Dockerfile": "FROM python:3.12\nCOPY app.py ./\n",
    "services/web/app.py": "print('web')\n",
}


def _write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def _edit(path: str, old: str, new: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def apply(root: Path, _patch: pytest.MonkeyPatch) -> None:
        text = (root / path).read_text()
        assert old in text, (path, old)
        _write(root, path, text.replace(old, new))

    return apply


def _add(path: str, text: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    return lambda root, _patch: _write(root, path, text)


def _env(name: str, value: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    return lambda _root, patch: patch.setenv(name, value)


def _new_version(_root: Path, patch: pytest.MonkeyPatch) -> None:
    # A release that changes what the image digest covers: a cache from the old code must go.
    patch.setattr(kamalpy, "__version__", "99.0.0", raising=False)
    patch.setattr(digests, "DIGEST_FORMAT", "kamalpy-digest-v99")


def _commit(root: Path, _patch: pytest.MonkeyPatch) -> None:
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "step")


STEPS: list[tuple[str, Callable[[Path, pytest.MonkeyPatch], None]]] = [
    ("library edit", _edit("libs/common/common.py", "VALUE = 1", "VALUE = 2")),
    ("deploy.yml env edit", _edit("services/api/deploy.yml", 'WORKERS: "2"', 'WORKERS: "3"')),
    ("overlay edit", _edit("services/api/deploy.staging.yml", "STAGE: one", "STAGE: two")),
    ("ENV read by ERB", _env("REGION", "us-2")),
    ("Dockerfile COPY edit", _edit("services/api/Dockerfile", "COPY app.py", "COPY . ")),
    (".dockerignore edit", _edit("services/api/.dockerignore", "tests/", "*.md")),
    ("new file in service dir", _add("services/web/extra.py", "EXTRA = 1\n")),
    ("commit", _commit),
    ("kamalpy version bump", _new_version),
]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "mono"
    for path, text in FILES.items():
        _write(root, path, text)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    monkeypatch.chdir(root)
    for name in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(name, "t")
    for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(name, "t@t")
    for name in ("REGION", "VERSION", "KAMALPY_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)
    yield root


def _plan(capsys: pytest.CaptureFixture[str], *, cached: bool) -> str:
    if cached:
        os.environ.pop("KAMALPY_NO_CACHE", None)
    else:
        os.environ["KAMALPY_NO_CACHE"] = "1"
    try:
        code = main(["plan", "-d", "staging", "--since", "HEAD", "--json"])
    finally:
        os.environ.pop("KAMALPY_NO_CACHE", None)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def first_mismatch(
    root: Path, patch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *, twice: bool
) -> str | None:
    """The first step after which the cached plan differs from the uncached one (None: none).

    `twice`: plan with the cache twice per step (the second reads what the first wrote).
    """
    before = _plan(capsys, cached=False)
    if _plan(capsys, cached=True) != before:  # fills the cache
        return "initial"
    for name, step in STEPS:
        step(root, patch)
        uncached = _plan(capsys, cached=False)
        if name not in ("commit", "kamalpy version bump"):
            assert uncached != before, f"{name}: the edit changed nothing: a useless step"
        if _plan(capsys, cached=True) != uncached:
            return name
        if twice and _plan(capsys, cached=True) != uncached:
            return name
        before = uncached
    return None


def test_cached_plan_is_byte_identical_to_uncached_after_every_edit(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert first_mismatch(repo, monkeypatch, capsys, twice=True) is None
    assert (repo / ".git" / "kamalpy-cache" / plan_cache.FILE_NAME).is_file()


def _no_overlay_in_key(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(plan_cache.PlanCache, "files", lambda _self, config_file: [config_file])


def _no_env_check(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(plan_cache.PlanCache, "_mac", lambda _self, _value: None)


def _no_tree_check(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(trace.Answers, "same", lambda _self, _traced: True)


def _no_version_in_code(patch: pytest.MonkeyPatch) -> None:
    real = plan_cache.fingerprint
    patch.setattr(
        "kamalpy.cli.monorepo_support.fingerprint",
        lambda _version, package, extra="": real("0", package, extra),
    )


def _no_blob_in_key(patch: pytest.MonkeyPatch) -> None:
    def key(self: plan_cache.PlanCache, _tree: object, config_file: str, root: Path) -> str:
        return "|".join([self.code, str(root), str(self.destination), config_file])

    patch.setattr(plan_cache.PlanCache, "key", key)


@pytest.mark.parametrize(
    ("drop", "caught_at"),
    [
        (_no_tree_check, "library edit"),
        (_no_blob_in_key, "deploy.yml env edit"),
        (_no_overlay_in_key, "overlay edit"),
        (_no_env_check, "ENV read by ERB"),
        (_no_version_in_code, "kamalpy version bump"),
    ],
)
def test_dropping_a_part_of_the_key_is_caught(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    drop: Callable[[pytest.MonkeyPatch], None],
    caught_at: str,
) -> None:
    drop(monkeypatch)
    assert first_mismatch(repo, monkeypatch, capsys, twice=False) == caught_at
