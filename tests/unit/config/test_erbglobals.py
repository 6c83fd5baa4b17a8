"""`ENV`, `File`, `Dotenv` and the constants in ERB: values and the exact error texts, which the
split of the evaluator (grammar in erbexpr, globals in erbglobals) must keep identical."""

from __future__ import annotations

import pytest

from kamalpy.config.erb import render
from kamalpy.config.erbexpr import ErbContext
from kamalpy.errors import ConfigError

FILES = {".v": " 3 \n", ".env": "K=v\n"}


def _read(name: str) -> str:
    if name == "dir":
        raise IsADirectoryError(21, "Is a directory")
    if name not in FILES:
        raise FileNotFoundError(2, "No such file or directory")
    return FILES[name]


def _render(template: str) -> str:
    return render(template, "deploy.yml", ErbContext({"A": "a"}, lambda: "h", _read))


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('<%= ENV.fetch("NOPE") { nil } %>', ""),
        ('<%= ENV.key?("A") %>/<%= ENV.has_key?("Z") %>', "true/false"),
        ('<%= ENV.include?("A") %>', "true"),
        ("<%= File.read('.v').strip %>", "3"),
        ('<%= File.expand_path("a", "b") %>', "b/a"),
        ('<%= File.join("a", "b") %>', "a/b"),
        ('<%= File.exist?("nope") %>/<%= File.exists?(".v") %>', "false/true"),
        ('<%= File.exist?("dir") %>', "true"),
        ('<% Dotenv.load("nope.env") %>x', "x"),
        ('<% Dotenv.overload(".env") %><%= ENV["K"] %>', "v"),
        ('<%= ENV["A"] || File.read("nope") %>', "a"),  # a branch Ruby never runs reads nothing
        ("<%= RUBY_VERSION %> <%= __dir__ %>", "3.3.7 ."),
    ],
)
def test_globals_evaluate_like_ruby(template: str, expected: str) -> None:
    assert _render(template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('<%= ENV.nope("A") %>',
         'unsupported ERB expression <%= ENV.nope("A") %> (`ENV.nope` is not supported)'),
        ('<%= ENV.fetch("NOPE") %>', 'ENV.fetch("NOPE"): environment variable NOPE is not set'),
        ('<%= ENV["A"] ? ENV.fetch("NOPE") : 1 %>',
         'ENV.fetch("NOPE"): environment variable NOPE is not set'),
        ("<%= ENV[1] %>", "unsupported ERB expression <%= ENV[1] %> (expected text)"),
        ('<%= ENV.fetch "A" %>', 'unsupported ERB expression <%= ENV.fetch "A" %> (expected `(`)'),
        ('<%= File.chmod("x") %>',
         'unsupported ERB expression <%= File.chmod("x") %> (`File.chmod` is not supported)'),
        ("<%= File.read %>",
         "unsupported ERB expression <%= File.read %> (`File.read` needs a path)"),
        ('<%= File.read("nope") %>', 'File.read("nope"): No such file or directory'),
        ("<%= Dotenv.parse %>", "unsupported ERB expression <%= Dotenv.parse %> "
         "(`Dotenv.parse` is not supported)"),
        ('<% Dotenv.load!("nope.env") %>x', "Dotenv.load!('nope.env'): No such file or directory"),
    ],
)  # fmt: skip
def test_globals_errors_name_the_line_and_the_expression(template: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _render(template)
    assert raised.value.render() == f"deploy.yml:1: {message}"
