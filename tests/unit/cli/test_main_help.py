"""`kamalpy --help` comes from a table, not from importing every command: the two must agree."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from kamalpy.cli.main import (
    COMMAND_HELP,
    COMMAND_MODULE,
    COMMAND_MODULES,
    build_parser,
    command_of,
    main,
)


def test_light_help_is_exactly_the_full_help() -> None:
    assert build_parser(light=True).format_help() == build_parser().format_help()


@pytest.mark.parametrize(
    ("argv", "command"),
    [([], None), (["--help"], None), (["-v", "--version"], None), (["plan"], "plan"),
     (["-v", "deploy", "--help"], "deploy"), (["-q", "why", "api"], "why")],
)  # fmt: skip
def test_the_command_is_the_first_word(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def _registered(module: str) -> set[str]:
    parser = argparse.ArgumentParser()
    importlib.import_module(module).register(parser.add_subparsers())
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_each_module_registers_exactly_the_commands_mapped_to_it(module: str) -> None:
    assert _registered(module) == {n for n, m in COMMAND_MODULE.items() if m == module}
    assert set(COMMAND_MODULE) == set(COMMAND_HELP)


def test_a_command_imports_only_its_module() -> None:
    code = (
        "import sys\nfrom kamalpy.cli.main import main\n"
        "try:\n    main(['init', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.endswith('_cmd')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['kamalpy.cli.init_cmd']"


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\nfrom kamalpy.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('kamalpy.cli.', 'kamalpy.deploy',"
        " 'kamalpy.config', 'yaml', 'importlib.metadata'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == "['kamalpy.cli.main', 'kamalpy.cli.output', 'kamalpy.cli.signals']"


def test_version_is_read_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("kamalpy ")
