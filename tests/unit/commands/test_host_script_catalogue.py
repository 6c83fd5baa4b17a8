"""The catalogue of host scripts that shellcheck reads is complete, and shellcheck does bite."""

from __future__ import annotations

import ast
from pathlib import Path

import kamalpy.commands
from tests.support.ci import require_tool
from tests.support.host_scripts import ACCEPTED, SCRIPTS, script_of, shellcheck

COMMANDS = Path(kamalpy.commands.__file__).parent


def _builders_saying_dash_c() -> set[str]:
    """`module.name` of each top-level function or constant in kamalpy/commands using "-c"."""
    found = set()
    for path in COMMANDS.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                name = node.name
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                name = next((t.id for t in targets if isinstance(t, ast.Name)), "")
            else:
                continue
            if any(isinstance(n, ast.Constant) and n.value == "-c" for n in ast.walk(node)):
                found.add(f"{path.stem}.{name}")
    return found


def test_every_builder_of_a_shell_script_is_catalogued() -> None:
    catalogued = {name.split("[")[0] for name in SCRIPTS}
    builders = _builders_saying_dash_c()
    assert builders, "the scan found nothing: it is broken"
    assert builders - catalogued == set()
    assert catalogued - builders == set()  # no stale entries either


def test_every_catalogued_argv_carries_a_script() -> None:
    for name, argv in SCRIPTS.items():
        shell, script = script_of(argv)
        assert shell in ("sh", "bash") and script.strip(), name
    assert set(ACCEPTED) <= {name.split("[")[0] for name in SCRIPTS}


def test_shellcheck_flags_a_planted_unquoted_parameter() -> None:
    require_tool("shellcheck", "apt-get install shellcheck")
    findings = shellcheck("planted", ("sh", "-c", 'docker rm $1; echo "$2"'))
    assert "SC2086" in findings and findings.startswith("planted: ")
    assert shellcheck("clean", ("sh", "-c", 'docker rm -- "$1"')) == ""


def test_accepted_findings_are_silenced_only_for_their_script() -> None:
    require_tool("shellcheck", "apt-get install shellcheck")
    argv = SCRIPTS["drain.in_flight_old_argv"]
    assert shellcheck("drain.in_flight_old_argv", argv) == ""
    assert "SC2046" in shellcheck("another", argv)


def test_every_catalogued_script_is_run_by_a_host_script_test() -> None:
    """Shellcheck reads each script; a test_host_scripts_* module must also run it."""
    modules = Path(__file__).parent.glob("test_host_scripts_*.py")
    called = "".join(path.read_text() for path in modules)
    builders = {name.split("[")[0] for name in SCRIPTS}
    assert {b for b in builders if f"{b}(" not in called and f"{b})" not in called} == set()
