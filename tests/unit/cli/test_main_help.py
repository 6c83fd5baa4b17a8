"""`kamalpy --help` comes from a table, not from importing every command: the two must agree."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kamalpy.cli.main import build_parser, main, names_no_command


def test_light_help_is_exactly_the_full_help() -> None:
    assert build_parser(light=True).format_help() == build_parser().format_help()


@pytest.mark.parametrize(
    ("argv", "light"),
    [([], True), (["--help"], True), (["-v", "--version"], True), (["plan"], False),
     (["-v", "deploy", "--help"], False)],
)  # fmt: skip
def test_only_option_lines_take_the_light_parser(argv: list[str], light: bool) -> None:
    assert names_no_command(argv) is light


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\nfrom kamalpy.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('kamalpy.cli.', 'kamalpy.deploy',"
        " 'kamalpy.config', 'yaml', 'importlib.metadata'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['kamalpy.cli.main', 'kamalpy.cli.output']"


def test_version_is_read_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("kamalpy ")
