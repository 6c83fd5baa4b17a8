from __future__ import annotations

import pytest

from kamalpy import __version__
from kamalpy.cli.main import main
from kamalpy.errors import ExitCode


def test_version_flag_prints_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"kamalpy {__version__}"


def test_no_command_prints_help_and_exits_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.BAD_INPUT
    assert "usage: kamalpy" in capsys.readouterr().out
