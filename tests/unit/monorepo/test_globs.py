"""Docker's two pattern dialects: .dockerignore (moby patternmatcher) and COPY sources."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamalpy.monorepo.globs import (
    clean,
    copy_sources,
    glob_tree,
    ignore_matches,
    literal_prefix,
    parse_ignore,
)
from tests.unit.monorepo.fixtures import tree

# (.dockerignore text, path relative to the context, excluded?) — cases from Docker's
# documentation of .dockerignore, checked by hand against its rules.
IGNORE_CASES = [
    ("*/temp*", "somedir/temporary.txt", True),
    ("*/temp*", "somedir/temp", True),
    ("*/temp*", "temp.txt", False),
    ("*/*/temp*", "a/b/temp.txt", True),
    ("*/*/temp*", "a/temp.txt", False),
    ("temp?", "tempa", True),
    ("temp?", "temp", False),
    ("temp?", "tempab", False),
    ("**/*.go", "main.go", True),
    ("**/*.go", "a/b/c.go", True),
    ("**/*.go", "a/b/c.gox", False),
    ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
    ("*.md\n!README*.md\nREADME-secret.md", "README.md", False),
    ("*.md\nREADME-secret.md\n!README*.md", "README-secret.md", False),
    ("docs", "docs/a/b.md", True),
    ("docs", "docsx/a.md", False),
    ("/docs", "docs/a.md", True),
    ("./docs/", "docs/a.md", True),
    ("docs/../build", "build/x", True),
    ("docs\n!docs/keep.md", "docs/keep.md", False),
    ("docs\n!docs/keep.md", "docs/other.md", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("**", "anything/at/all", True),
    ("foo/**", "foo/x/y", True),
    ("foo/**", "foox", False),
    ("\\*.txt", "*.txt", True),
    ("\\*.txt", "a.txt", False),
    ("[a-c].txt", "b.txt", True),
    ("[a-c].txt", "d.txt", False),
    ("[^a-c].txt", "d.txt", True),
    ("# comment\n\n  *.log  ", "x.log", True),
    ("file(1).txt", "file(1).txt", True),
    ("file(1).txt", "file1.txt", False),
]


@pytest.mark.parametrize(("text", "path", "excluded"), IGNORE_CASES)
def test_dockerignore_as_docker_reads_it(text: str, path: str, excluded: bool) -> None:
    assert parse_ignore(text).excludes(path) is excluded


@pytest.mark.parametrize(
    ("pattern", "cleaned", "prefix"),
    [
        ("/a/b/", "a/b", "a/b"),
        ("./a//b/*.py", "a/b/*.py", "a/b"),
        ("a/*/c", "a/*/c", "a"),
        ("*.py", "*.py", ""),
        ("", ".", "."),
        ("/", "/", "/"),
        ("a/b\\*", "a/b\\*", "a"),
    ],
)
def test_clean_and_literal_prefix(pattern: str, cleaned: str, prefix: str) -> None:
    assert (clean(pattern), literal_prefix(clean(pattern))) == (cleaned, prefix)


FILES = {
    "src/a.py": "",
    "src/b.txt": "",
    "src/pkg/x.py": "",
    "src/d.py/inner": "",
    "top.py": "",
    "srcx/y.py": "",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("src/a.py", ["src/a.py"]),
        ("src", ["src/a.py", "src/b.txt", "src/d.py/inner", "src/pkg/x.py"]),
        ("src/*.py", ["src/a.py", "src/d.py/inner"]),
        ("*.py", ["top.py"]),
        ("s?c/*.py", ["src/a.py", "src/d.py/inner"]),
        ("src/[ab].*", ["src/a.py", "src/b.txt"]),
        (".", sorted(FILES)),
        ("nothing", []),
    ],
)
def test_copy_sources_use_go_filepath_match(source: str, expected: list[str]) -> None:
    assert sorted(copy_sources(tree(FILES), source)) == expected


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("src/**/*.py", ["src/a.py", "src/d.py/inner", "src/pkg/x.py"]),
        ("**/*.py", ["src/a.py", "src/d.py/inner", "src/pkg/x.py", "srcx/y.py", "top.py"]),
        ("src/pkg", ["src/pkg/x.py"]),
        ("src/*", ["src/a.py", "src/b.txt", "src/d.py/inner", "src/pkg/x.py"]),
    ],
)
def test_declared_globs_use_the_dockerignore_dialect(glob: str, expected: list[str]) -> None:
    assert sorted(glob_tree(tree(FILES), glob)) == expected


NAMES = st.sampled_from(["a", "b", "ab", "a.py", "x-1"])
PATHS = st.lists(NAMES, min_size=1, max_size=4).map("/".join)
COMPONENT_PATTERNS = st.sampled_from(["a", "*", "?", "a*", "*.py", "[ab]", "x-?", "*b"])
PATTERNS = st.lists(COMPONENT_PATTERNS, min_size=1, max_size=4).map("/".join)


def _component_match(pattern: str, path: str) -> bool:
    """Oracle: element by element with fnmatch, where nothing can cross a `/`."""
    parts, names = pattern.split("/"), path.split("/")
    return len(parts) == len(names) and all(
        fnmatch.fnmatchcase(n, p) for p, n in zip(parts, names, strict=True)
    )


@settings(deadline=None)  # a loaded machine must not fail a test
@given(PATTERNS, PATHS)
def test_ignore_patterns_without_doublestar_match_path_or_a_parent(pattern: str, path: str) -> None:
    names = path.split("/")
    expected = any(_component_match(pattern, "/".join(names[:i])) for i in range(1, len(names) + 1))
    assert ignore_matches(pattern, path) is expected


@settings(deadline=None)  # a loaded machine must not fail a test
@given(PATTERNS, PATHS)
def test_copy_glob_covers_a_file_when_it_or_a_parent_matches(pattern: str, path: str) -> None:
    names = path.split("/")
    expected = any(_component_match(pattern, "/".join(names[:i])) for i in range(1, len(names) + 1))
    assert (path in set(copy_sources(tree({path: ""}), pattern))) is expected


@settings(deadline=None)  # a loaded machine must not fail a test
@given(PATHS, PATHS)
def test_doublestar_in_the_middle_spans_any_directories(head: str, tail: str) -> None:
    assert ignore_matches(f"{head}/**/{tail}", f"{head}/{tail}")
    assert ignore_matches(f"{head}/**/{tail}", f"{head}/m/n/{tail}")


IGNORE_LINES = st.sampled_from(
    ["a", "*", "a/*", "**/b", "!a/b", "!**/x-1", "*.py", "ab/**", "?", "!a.py", "a/**/b", "[ab]"]
)


@settings(deadline=None)  # a loaded machine must not fail a test
@given(st.lists(IGNORE_LINES, min_size=1, max_size=5), st.lists(PATHS, max_size=12, unique=True))
def test_bulk_ignore_equals_moby_loop_path_by_path(lines: list[str], paths: list[str]) -> None:
    ignore = parse_ignore("\n".join(lines))

    def moby(path: str) -> bool:  # patternmatcher.MatchesOrParentMatches, one path at a time
        matched = False
        for rule in ignore.rules:
            if rule.exception == matched and ignore_matches(rule.pattern, path):
                matched = not rule.exception
        return matched

    assert ignore.keep(paths) == [path for path in paths if not moby(path)]
