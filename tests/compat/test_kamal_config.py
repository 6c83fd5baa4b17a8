"""kamalpy config --json agrees with the real `kamal config` (Kamal 2.11) on the shared values.

Each case in tests/cases/kamal_compat/ is written to a temporary app (config/deploy.yml,
overlays, a dummy .kamal/secrets), then both tools run there with the same VERSION.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

CASES = sorted((Path(__file__).parents[1] / "cases" / "kamal_compat").glob("*.yml"))
SHARED_KEYS = (
    "roles",
    "hosts",
    "primary_host",
    "version",
    "repository",
    "absolute_image",
    "service_with_version",
    "volume_args",
    "logging",
)

pytestmark = pytest.mark.kamal_compat


class _RubyTolerantLoader(yaml.SafeLoader):
    """Reads `kamal config` output: Ruby object tags (the ssh proxy) become plain data."""


def _ruby_object(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_RubyTolerantLoader.add_multi_constructor("!", _ruby_object)


def _unquote_token(token: str) -> str:
    """Kamal bakes shell quotes into option values (`max-size="10m"`); kamalpy does not."""
    return "".join(shlex.split(token))


def _kamal_values(output: str) -> dict[str, Any]:
    raw = yaml.load(output, Loader=_RubyTolerantLoader)  # a SafeLoader subclass
    data = {str(key).lstrip(":"): value for key, value in raw.items()}
    data["logging"] = [_unquote_token(tok) for tok in data.get("logging", [])]
    data["version"] = str(data["version"])
    return {key: data.get(key) for key in SHARED_KEYS}


def _write_app(tmp_path: Path, case: dict[str, Any]) -> None:
    for name, content in case["files"].items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    secrets = tmp_path / ".kamal" / "secrets"
    secrets.parent.mkdir(exist_ok=True)
    names = ("KAMAL_REGISTRY_PASSWORD", "GHCR_TOKEN", "REGISTRY_PASSWORD", "MYSQL_ROOT_PASSWORD")
    secrets.write_text("".join(f"{n}=dummy\n" for n in names), encoding="utf-8")


def _run(argv: list[str], cwd: Path, environ: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{argv[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_kamalpy_config_matches_kamal(case_file: Path, tmp_path: Path, kamal: str) -> None:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    _write_app(tmp_path, case)
    environ = {**os.environ, "VERSION": "compat-1", **case.get("environ", {})}
    environ.pop("NO_COLOR", None)
    dest = ["-d", case["destination"]] if case.get("destination") else []
    expected = _kamal_values(_run([kamal, "config", *dest], tmp_path, environ))
    repo_root = str(Path(__file__).parents[2])
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [repo_root, environ.get("PYTHONPATH")]))
    ours = json.loads(
        _run([sys.executable, "-m", "kamalpy", "config", "--json", *dest], tmp_path, environ)
    )
    assert {key: ours[key] for key in SHARED_KEYS} == expected


def test_there_are_enough_compat_cases() -> None:
    assert len(CASES) >= 10
