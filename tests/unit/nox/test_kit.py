"""`kamalpy.nox.register`: which sessions, names, docstrings, and that none runs by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nox.registry
import pytest

from kamalpy.nox import SESSIONS, register
from kamalpy.nox.toolenv import fingerprint


@pytest.fixture
def registry() -> Iterator[dict[str, object]]:
    """nox's session registry, restored after the test."""
    saved = dict(nox.registry._REGISTRY)
    yield nox.registry._REGISTRY  # type: ignore[misc]
    nox.registry._REGISTRY.clear()
    nox.registry._REGISTRY.update(saved)


def test_every_session_is_registered_without_a_venv_and_off_by_default(
    registry: dict[str, object],
) -> None:
    assert register(prefix="kp-") == [f"kp-{name}" for name in SESSIONS]
    for name in SESSIONS:
        func = nox.registry.get()[f"kp-{name}"]
        assert func.venv_backend == "none"  # kamalpy only: no install per session
        assert func.default is False  # a bare `nox` never deploys or contacts a server
        assert func.__doc__ and func.__doc__[0].isupper(), name


def test_a_subset_of_sessions(registry: dict[str, object]) -> None:
    assert register(sessions=["plan", "why"], prefix="x-") == ["x-plan", "x-why"]
    assert "x-deploy" not in nox.registry.get()


def test_unknown_session_names_are_refused(registry: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="unknown kamalpy session"):
        register(sessions=["deploy", "destroy"])


def test_a_services_glob_must_be_the_one_kamalpy_reads(
    registry: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.kamalpy]\nservices = "apps/*/deploy.yml"\n')
    register(services="apps/*/deploy.yml", prefix="y-")
    with pytest.raises(ValueError, match="differs from"):
        register(services="services/*/deploy.yml", prefix="z-")


def test_the_shared_env_is_remade_when_a_local_project_changes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'a'\n")
    before = fingerprint(["-e", "."], tmp_path)
    assert fingerprint(["-e", "."], tmp_path) == before
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'a'\nversion = '2'\n")
    assert fingerprint(["-e", "."], tmp_path) != before
    assert fingerprint(["kamalpy==1"], tmp_path) != fingerprint(["kamalpy==2"], tmp_path)
