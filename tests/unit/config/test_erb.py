from __future__ import annotations

import pytest

from kamalpy.config.erb import render
from kamalpy.config.erbexpr import ErbContext, ShellOutput
from kamalpy.errors import ConfigError

HEAD = "a" * 40


def _context(environ: dict[str, str] | None = None, head: str | None = HEAD) -> ErbContext:
    files = {".ruby-version": "3.3.6\n"}

    def read(name: str) -> str:
        if name not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[name]

    return ErbContext(environ or {}, lambda: head, read)


def _render(text: str, environ: dict[str, str] | None = None, head: str | None = HEAD) -> str:
    return render(text, "deploy.yml", _context(environ, head))


def _error(text: str, environ: dict[str, str] | None = None, head: str | None = HEAD) -> str:
    with pytest.raises(ConfigError) as raised:
        _render(text, environ, head)
    return raised.value.render()


@pytest.mark.parametrize(
    ("template", "environ", "expected"),
    [
        ('<%= ENV["A"] %>', {"A": "x"}, "x"),
        ("<%= ENV['A'] %>", {"A": "x"}, "x"),
        ('<%= ENV["MISSING"] %>', {}, ""),
        ('<%= ENV.fetch("A") %>', {"A": "x"}, "x"),
        ('<%= ENV.fetch("A", "d") %>', {}, "d"),
        ('<%= ENV.fetch("A", 5) %>', {}, "5"),
        ('<%= ENV.fetch("A") { "blk" } %>', {}, "blk"),
        ('<%= ENV.fetch("A", nil) || "x" %>', {}, "x"),
        ('<%= ENV["N"].to_i %>', {"N": "12abc"}, "12"),
        ('<%= ENV["A"] || "lit" %>', {}, "lit"),
        ('<%= ENV["A"] || "lit" %>', {"A": ""}, ""),
        ('<%= ENV["A"] == "x" %>', {"A": "x"}, "true"),
        ('<%= !ENV["A"] %>', {}, "true"),
        ('<%= ENV["A"].present? %>', {"A": " "}, "false"),
        ('<%= "a\\tb" %>', {}, "a\tb"),
        ("<%= `git rev-parse HEAD`.strip %>", {}, HEAD),
        ("<%= `git rev-parse --short HEAD`.chomp %>", {}, "aaaaaaa"),
        ("<%= File.read('.ruby-version').strip %>", {}, "3.3.6"),
        ("a<%# ignored %>b", {}, "ab"),
        ('<%= ENV.fetch("TTL", 365 * 24 * 60 * 60) %>', {}, "31536000"),
        ('<%= "ab" * 2 %>', {}, "abab"),
        ('<%= ENV["R"] || "#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>', {}, "ruby-3.3.7"),
        ('<%= ENV["R"] || "#{Some.constant}" %>', {"R": "3.2"}, "3.2"),
        ('<%= ENV["R"] || Some.constant(1) %>', {"R": "3.2"}, "3.2"),
        ("<%= File.basename('config/deploy.yml') %>", {}, "deploy.yml"),
        ("<%= File.exist?('.ruby-version') %> <%= File.exist?('nope') %>", {}, "true false"),
        ('<%= ENV["L"].split(",").map(&:strip).join("|") %>', {"L": "a, b ,c"}, "a|b|c"),
        ('<%= [1, "a"] %>', {}, '[1, "a"]'),
        ("<%% literal %>", {}, "<% literal %>"),
    ],
)
def test_supported_expressions_evaluate_like_ruby(
    template: str, environ: dict[str, str], expected: str
) -> None:
    assert _render(template, environ) == expected


def test_if_elsif_else_picks_the_first_true_branch() -> None:
    template = (
        '<% if ENV["A"] == "1" -%>\none\n'
        '<% elsif ENV["B"] -%>\ntwo\n'
        "<% else -%>\nthree\n<% end -%>\n"
    )
    assert _render(template, {"A": "1"}) == "one\n"
    assert _render(template, {"B": ""}) == "two\n"
    assert _render(template, {}) == "three\n"


def test_unless_and_nested_blocks() -> None:
    template = '<% unless ENV["A"] %>x<% if ENV["B"] %>y<% end %><% end %>'
    assert _render(template, {"B": "1"}) == "xy"
    assert _render(template, {"A": "1", "B": "1"}) == ""


def test_leading_dash_trims_indentation_before_the_tag() -> None:
    assert _render("a:\n  <%- if true -%>\n  b: 1\n<% end -%>\n") == "a:\n  b: 1\n"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('x\n<%= system("ls") %>', 'deploy.yml:2: unsupported ERB expression <%= system("ls") %>'),
        ("<%= `ls -la` %>", "deploy.yml:1: unsupported ERB expression `ls -la` (only `git"),
        ('<%= ENV["A"].constantize %>', "method `constantize` is not supported"),
        ("<%= 1 - 2 %>", "deploy.yml:1: unsupported ERB expression <%= 1 - 2 %>"),
        ('<%= 1 + "a" %>', "`+` needs two strings, two numbers or two arrays"),
        ("<%= ENV['A'].strip %>", "`strip` works on text only (on '')"),
        ("<% while true %><% end %>", "unsupported ERB statement `while true`"),
        ("<% if true %>", "`if` without a matching `<% end %>`"),
        ("<% end %>", "`end` without an opening `if`"),
        ("<%= %>", "empty ERB expression"),
        ('<%= ENV.fetch("NOPE") %>', "environment variable NOPE is not set"),
    ],
)
def test_anything_else_is_an_error_naming_file_line_and_expression(
    template: str, message: str
) -> None:
    assert message in _error(template)


def test_git_backticks_outside_a_repository_give_empty_output_and_a_warning() -> None:
    warnings: list[str] = []
    context = ErbContext({}, lambda: None, lambda name: "", warn=warnings.append)
    assert render("<%= `git rev-parse HEAD` %>", "deploy.yml", context) == ""
    assert warnings == [
        "deploy.yml:1: `git rev-parse HEAD`: not a git repository with commits; "
        "using empty output, as Kamal does"
    ]


def test_commands_run_through_the_given_shell_only_when_ruby_would_run_them() -> None:
    ran: list[str] = []

    def shell(command: str) -> ShellOutput:
        ran.append(command)
        return ShellOutput("out\n", 0)

    context = ErbContext({"T": "x"}, lambda: None, lambda name: "", shell=shell)
    template = '<%= ENV["T"] || `a` %><%= ENV["T"] && `b`.strip %><%= true ? "" : %x(c) %>'
    assert render(template, "deploy.yml", context) == "xout"
    assert ran == ["b"]


def test_file_read_of_a_missing_file_names_it() -> None:
    def missing(name: str) -> str:
        raise FileNotFoundError(2, "No such file or directory")

    context = ErbContext({}, lambda: HEAD, missing)
    with pytest.raises(ConfigError) as raised:
        render("<%= File.read('nope').strip %>", "deploy.yml", context)
    assert 'File.read("nope"): No such file or directory' in raised.value.render()
