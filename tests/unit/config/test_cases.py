"""Table-driven configuration cases: one YAML file per case in tests/cases/config/.

A case writes `files` into services/app/ of a temporary repository, loads
services/app/deploy.yml (with `destination`, `environ`, `version`, `git_head`), then checks
either `error` (the exact error text) or `expect` (a subset of `kamalpy config --json`)
and `model` (dotted paths into the Configuration object, see `_walk`). ERB commands run for
real, through the CLI's runner (the executor); `warnings` lists the exact warnings expected
(none when absent); `run_commands: false` loads without a runner (git HEAD from `.git`
files, `git_head`). `links` makes symlinks (`name: target`) next to the files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from kamalpy.cli.common import run_erb_command
from kamalpy.config import GitInfo, load_config
from kamalpy.config.locate import locate_config
from kamalpy.config.summary import summarize
from kamalpy.errors import ConfigError
from kamalpy.sensitive import Sensitive

CASES = sorted((Path(__file__).parents[2] / "cases" / "config").glob("*.yml"))
DEFAULT_HEAD = "0123456789abcdef0123456789abcdef01234567"


def _load_case(tmp_path: Path, case: dict[str, Any], warnings: list[str]) -> Any:
    service_dir = tmp_path / "services" / "app"
    for name, content in case["files"].items():
        target = service_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    for name, target_name in (case.get("links") or {}).items():
        (service_dir / name).symlink_to(target_name)
    git = GitInfo(
        head=case.get("git_head", DEFAULT_HEAD),
        dirty=lambda: bool(case.get("git_dirty", False)),
        nonce=lambda: "f" * 16,
    )
    return load_config(
        locate_config(config_file=None, service="app", cwd=tmp_path),
        destination=case.get("destination"),
        environ=case.get("environ", {}),
        version=case.get("version"),
        git=git,
        shell=run_erb_command if case.get("run_commands", True) else None,
        warn=warnings.append,
    )


def _plain(value: Any) -> Any:
    """Model values as YAML-comparable data: tuples -> lists, mappings -> dicts."""
    if isinstance(value, Sensitive):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _walk(obj: Any, dotted: str) -> Any:
    """`roles.web.cmd`: attributes, mapping keys, items of named tuples, or indexes."""
    for part in dotted.split("."):
        if isinstance(obj, Mapping):
            obj = obj[part]
        elif isinstance(obj, tuple) and part.isdigit():
            obj = obj[int(part)]
        elif isinstance(obj, tuple):
            obj = next(item for item in obj if getattr(item, "name", None) == part)
        else:
            obj = getattr(obj, part)
            obj = obj() if callable(obj) else obj
    return obj


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_config_case(case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    warnings: list[str] = []
    if "error" in case:
        with pytest.raises(ConfigError) as raised:
            _load_case(tmp_path, case, warnings)
        assert raised.value.render().strip() == case["error"].strip()
        return
    config = _load_case(tmp_path, case, warnings)
    assert warnings == case.get("warnings", [])
    summary = summarize(config)
    for key, expected in (case.get("expect") or {}).items():
        assert summary[key] == expected, key
    for dotted, expected in (case.get("model") or {}).items():
        assert _plain(_walk(config, dotted)) == expected, dotted


def test_there_are_enough_cases() -> None:
    invalid = [c for c in CASES if "\nerror:" in "\n" + c.read_text(encoding="utf-8")]
    assert len(CASES) >= 60
    assert len(invalid) >= 15
