"""TracingTree logs every question the inputs computation asks; Answers checks them later."""

from __future__ import annotations

import pytest

from kamalpy.monorepo.globs import below, glob_tree, whole_match, whole_matches
from kamalpy.monorepo.inputs import service_inputs
from kamalpy.monorepo.settings import MonorepoSettings
from kamalpy.monorepo.trace import FILE, PREFIX, Answers, TracingTree
from kamalpy.monorepo.tree import Tree
from tests.unit.monorepo.fixtures import REPO, config, tree

FILES = {
    "libs/common/pyproject.toml": "[project]\nname = 'common'\n",
    "libs/common/common.py": "A = 1\n",
    "services/api/Dockerfile": "FROM python:3.12\nCOPY . .\n",
    "services/api/.dockerignore": "*.md\n",
    "services/api/app.py": "print()\n",
    "services/api/notes.md": "n\n",
    "services/api/pyproject.toml": (
        "[project]\nname = 'api'\ndependencies = ['common']\n"
        "[tool.uv.sources]\ncommon = { path = '../../libs/common' }\n"
    ),
    "services/api/deploy.yml": "service: api\n",
    "README.md": "r\n",
}


def test_every_kind_of_question_is_logged() -> None:
    traced = TracingTree.over(tree(FILES))
    assert "README.md" in traced
    traced.text("services/api/app.py")
    below(traced, "libs")
    traced.files.get("nowhere")
    assert traced.queries == {
        (FILE, "README.md"), (FILE, "services/api/app.py"), (PREFIX, "libs/"), (FILE, "nowhere"),
    }  # fmt: skip
    _ = traced.paths
    assert (PREFIX, "") in traced.queries


def _traced_inputs(files: dict[str, str]) -> tuple[object, TracingTree]:
    traced = TracingTree.over(tree(files))
    found = service_inputs(traced, config(), repo_root=REPO, settings=MonorepoSettings())
    return found, traced


def test_traced_inputs_equal_untraced_ones() -> None:
    found, _traced = _traced_inputs(FILES)
    plain = service_inputs(tree(FILES), config(), repo_root=REPO, settings=MonorepoSettings())
    assert dict(found.files) == dict(plain.files)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("edit", "same"),
    [
        ({"README.md": "changed\n"}, True),  # not an input: no question asked about it
        ({"services/other/app.py": "x\n"}, True),
        ({"libs/common/common.py": "A = 2\n"}, False),  # a library the service depends on
        ({"libs/common/new.py": "B = 1\n"}, False),
        ({"services/api/notes.md": "changed\n"}, False),  # ignored by the build, but listed
        ({"services/api/.dockerignore": "\n"}, False),
        ({"services/api/Dockerfile": "FROM python:3.13\nCOPY . .\n"}, False),
        ({"services/api/requirements.txt": "-e ../../libs/common\n"}, False),
        ({"pyproject.toml": "[tool.uv.workspace]\nmembers = ['libs/*']\n"}, False),
    ],
)
def test_answers_differ_exactly_when_an_answer_does(edit: dict[str, str], same: bool) -> None:
    _found, traced = _traced_inputs(FILES)
    recorded = Answers(tree(FILES)).trace(traced.queries)
    assert Answers(tree(FILES)).same(recorded)
    assert Answers(tree({**FILES, **edit})).same(recorded) is same


def test_a_removed_file_changes_the_answers() -> None:
    _found, traced = _traced_inputs(FILES)
    recorded = Answers(tree(FILES)).trace(traced.queries)
    fewer = {k: v for k, v in FILES.items() if k != "libs/common/common.py"}
    assert not Answers(tree(fewer)).same(recorded)


@pytest.mark.parametrize(
    "pattern",
    ["services/*/deploy.yml", "services/**/deploy.yml", "services/?/deploy.yml", "**",
     "services/*", "services/a*/deploy.y?l", "services/[ab]/deploy.yml", "services/\\*/x"],
)  # fmt: skip
def test_whole_matches_agrees_with_whole_match(pattern: str) -> None:
    paths = ["services/a/deploy.yml", "services/a/b/deploy.yml", "services/deploy.yml",
             "services/x.y/deploy.yml", "services/a/deploy.ymlx", "services/*/x",
             "services/b/deploy.yml"]  # fmt: skip
    assert whole_matches(pattern, paths) == [p for p in paths if whole_match(pattern, p)]


def test_whole_matches_handles_a_path_with_a_newline() -> None:
    paths = ["services/a\n/deploy.yml", "services/a/deploy.yml", "services/b/deploy.yml\nx"]
    expected = [p for p in paths if whole_match("services/*/deploy.yml", p)]
    assert whole_matches("services/*/deploy.yml", paths) == expected
    assert expected == ["services/a\n/deploy.yml", "services/a/deploy.yml"]


def test_tree_with_prefix_is_a_slice_of_sorted_paths() -> None:
    files = tree({"a/b": "", "a/b0": "", "a/b/c": "", "a/bc": "", "b": ""})
    assert files.with_prefix("a/b/") == ("a/b/c",)
    assert files.with_prefix("a/b") == ("a/b", "a/b/c", "a/b0", "a/bc")
    assert tuple(glob_tree(files, "a/b")) == ("a/b", "a/b/c")
    assert Tree({}).with_prefix("x") == ()
