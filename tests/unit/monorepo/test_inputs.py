"""service_inputs: which files are a service's image inputs, each with the rule that took it."""

from __future__ import annotations

from typing import Any

import pytest

from kamalpy.errors import ConfigError
from kamalpy.monorepo.inputs import InputFiles, InputRule
from tests.unit.monorepo.fixtures import config, inputs_of, kinds

API = "services/api"
DEPLOY = {f"{API}/deploy.yml": "service: api", f"{API}/deploy.staging.yml": "x: 1"}

# Each case: files of the repository, Configuration settings, expected {path: rule kind}.
CASES: list[tuple[str, dict[str, str], dict[str, Any], dict[str, str]]] = [
    (
        "service dir minus .dockerignore, never its deploy.yml, hooks or Kamal secrets files",
        {
            **DEPLOY,
            f"{API}/.kamal/hooks/pre-deploy": "",
            f"{API}/.kamal/secrets": "",
            f"{API}/.kamal/secrets.staging": "",
            f"{API}/.kamal/other": "",
            f"{API}/Dockerfile": "FROM python:3.11\nCOPY . /app\n",
            f"{API}/.dockerignore": "# junk\n*.md\n!KEEP.md\n/tmp\n**/*.log\n",
            f"{API}/app.py": "",
            f"{API}/README.md": "",
            f"{API}/KEEP.md": "",
            f"{API}/tmp/x": "",
            f"{API}/pkg/deep/debug.log": "",
            f"{API}/config/deploy.yml": "nested: not the service's own file",
            "services/web/app.py": "",
            "README.md": "",
        },
        {},
        {
            f"{API}/.dockerignore": "dockerignore",
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/.kamal/other": "service-dir",
            f"{API}/KEEP.md": "service-dir",
            f"{API}/app.py": "service-dir",
            f"{API}/config/deploy.yml": "service-dir",
        },
    ),
    (
        "root context: COPY of a shared library, the service dir outside .dockerignore's reach",
        {
            **DEPLOY,
            f"{API}/Dockerfile": (
                "FROM python:3.11\nCOPY libs/common /app/libs/common\n"
                "COPY services/api/app.py /app/\n"
            ),
            ".dockerignore": "services/api/*.txt\nlibs/common/tests\n",
            f"{API}/notes.txt": "",
            f"{API}/app.py": "",
            "libs/common/__init__.py": "",
            "libs/common/tests/test_x.py": "",
            "libs/other/__init__.py": "",
        },
        {"context": "../.."},
        {
            ".dockerignore": "dockerignore",
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/app.py": "service-dir",
            "libs/common/__init__.py": "copy",
        },
    ),
    (
        "COPY . . from the repository root depends on the whole repository",
        {
            **DEPLOY,
            f"{API}/Dockerfile": "FROM python:3.11\nCOPY . .\n",
            ".dockerignore": ".git\ndocs/\n",
            f"{API}/app.py": "",
            "docs/index.md": "",
            "README.md": "",
            "libs/x/y.py": "",
        },
        {"context": "../.."},
        {
            ".dockerignore": "dockerignore",
            "README.md": "whole-repo",
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/app.py": "service-dir",
            "libs/x/y.py": "whole-repo",
        },
    ),
    (
        "bind mounts from the context count; cache mounts and other stages do not",
        {
            **DEPLOY,
            f"{API}/Dockerfile": (
                "FROM python:3.11 AS deps\n"
                "RUN --mount=type=bind,source=libs/lock/uv.lock,target=/uv.lock \\\n"
                "    --mount=type=cache,target=/root/.cache \\\n"
                "    --mount=type=bind,from=deps,source=/x,target=/y uv sync\n"
                "RUN --mount=target=/src,src=tools cp -r /src /tools\n"
            ),
            "libs/lock/uv.lock": "",
            "tools/a.sh": "",
            "tools/b.sh": "",
            "other/c": "",
        },
        {"context": "../.."},
        {
            f"{API}/Dockerfile": "dockerfile",
            "libs/lock/uv.lock": "bind-mount",
            "tools/a.sh": "bind-mount",
            "tools/b.sh": "bind-mount",
        },
    ),
    (
        "multi-stage: COPY --from a stage or an image reads no context file; globs do",
        {
            **DEPLOY,
            f"{API}/Dockerfile": (
                "FROM node:20 AS assets\nCOPY web/*.json ./\n"
                "FROM python:3.11\nCOPY --from=assets /dist /app/static\n"
                "COPY --from=nginx:1.27 /etc/nginx /etc/nginx\n"
                "COPY --from=0 /x /y\n"
                'COPY ["bin/run me", "/app/"]\n'
                "COPY <<EOF /etc/motd\nhello COPY nothing/here\nEOF\n"
            ),
            "web/package.json": "",
            "web/tsconfig.json": "",
            "web/src/index.ts": "",
            "web/a.json.d/b": "",
            "web/dir.json/b": "",
            "bin/run me": "",
            "nothing/here": "",
        },
        {"context": "../.."},
        {
            f"{API}/Dockerfile": "dockerfile",
            "bin/run me": "copy",
            "web/dir.json/b": "copy",
            "web/package.json": "copy",
            "web/tsconfig.json": "copy",
        },
    ),
    (
        "ARG values (build args over defaults) expand in COPY sources",
        {
            **DEPLOY,
            f"{API}/Dockerfile": (
                "ARG LIB=nope\nFROM python:3.11\nARG LIB\nARG EXTRA=libs/extra\n"
                "ENV DATA=${EXTRA}/data\nCOPY libs/${LIB} $DATA /app/\n"
            ),
            "libs/common/a.py": "",
            "libs/nope/a.py": "",
            "libs/extra/data/d.csv": "",
        },
        {"context": "../..", "args": {"LIB": "common"}},
        {
            f"{API}/Dockerfile": "dockerfile",
            "libs/common/a.py": "copy",
            "libs/extra/data/d.csv": "copy",
        },
    ),
    (
        "uv path sources are followed transitively, minus caches",
        {
            **DEPLOY,
            f"{API}/Dockerfile": "FROM python:3.11\n",
            f"{API}/pyproject.toml": (
                '[project]\nname = "api"\n[tool.uv.sources]\nb = { path = "../../libs/b" }\n'
            ),
            "libs/b/pyproject.toml": (
                '[project]\nname = "b"\n[tool.uv.sources]\nc = { path = "../c", editable = true }\n'
            ),
            "libs/b/b.py": "",
            "libs/b/__pycache__/b.cpython-311.pyc": "",
            "libs/b/b.egg-info/PKG-INFO": "",
            "libs/c/pyproject.toml": '[tool.uv.sources]\nb = { path = "../b" }\n',
            "libs/c/c.py": "",
            "libs/d/d.py": "",
        },
        {},
        {
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/pyproject.toml": "service-dir",
            "libs/b/b.py": "uv-path",
            "libs/b/pyproject.toml": "uv-path",
            "libs/c/c.py": "uv-path",
            "libs/c/pyproject.toml": "uv-path",
        },
    ),
    (
        "workspace = true resolves through the root workspace, names normalised (PEP 503)",
        {
            **DEPLOY,
            "pyproject.toml": (
                '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\nexclude = ["libs/old"]\n'
            ),
            f"{API}/Dockerfile": "FROM python:3.11\n",
            f"{API}/pyproject.toml": (
                '[project]\nname = "api"\ndependencies = ["My_Lib"]\n'
                "[tool.uv.sources]\nmy-lib = { workspace = true }\n"
            ),
            "libs/my.lib/pyproject.toml": '[project]\nname = "my.lib"\n',
            "libs/my.lib/m.py": "",
            "libs/old/pyproject.toml": '[project]\nname = "my-lib"\n',
            "libs/old/o.py": "",
        },
        {},
        {
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/pyproject.toml": "service-dir",
            "libs/my.lib/m.py": "uv-workspace",
            "libs/my.lib/pyproject.toml": "uv-workspace",
        },
    ),
    (
        "a workspace member uses the root's sources for what it depends on",
        {
            **DEPLOY,
            "pyproject.toml": (
                '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n'
                "[tool.uv.sources]\ncommon = { workspace = true }\n"
                'unused = { path = "libs/unused" }\n'
            ),
            f"{API}/Dockerfile": "FROM python:3.11\n",
            f"{API}/pyproject.toml": '[project]\nname = "api"\ndependencies = ["Common>=1"]\n',
            "libs/common/pyproject.toml": '[project]\nname = "common"\n',
            "libs/unused/pyproject.toml": '[project]\nname = "unused"\n',
        },
        {},
        {
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/pyproject.toml": "service-dir",
            "libs/common/pyproject.toml": "uv-workspace",
        },
    ),
    (
        "file: direct references and requirements lines (-e, file:, ./path, -r chains)",
        {
            **DEPLOY,
            f"{API}/Dockerfile": "FROM python:3.11\n",
            f"{API}/pyproject.toml": (
                '[project]\nname = "api"\n'
                'dependencies = ["a @ file:///repo/libs/a", "requests>=2"]\n'
                '[project.optional-dependencies]\nx = ["b @ file://${PROJECT_ROOT}/../../libs/b"]\n'
            ),
            f"{API}/requirements.txt": "-e ../../libs/c  # editable\n-r reqs/dev.in\n",
            f"{API}/reqs/dev.in": (
                "flask\nd @ file:///repo/libs/d.whl\n"
                "../../libs/e  # relative to the install's cwd\n"
                "f @ file:///elsewhere/f\n"
            ),
            "libs/a/a.py": "",
            "libs/b/b.py": "",
            "libs/c/c.py": "",
            "libs/d.whl": "",
            "libs/e/e.py": "",
            "libs/g/g.py": "",
        },
        {},
        {
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/pyproject.toml": "service-dir",
            f"{API}/reqs/dev.in": "service-dir",
            f"{API}/requirements.txt": "service-dir",
            "libs/a/a.py": "file-requirement",
            "libs/b/b.py": "file-requirement",
            "libs/c/c.py": "file-requirement",
            "libs/d.whl": "file-requirement",
            "libs/e/e.py": "file-requirement",
        },
    ),
    (
        "declared inputs and excludes, global inputs",
        {
            **DEPLOY,
            f"{API}/Dockerfile": "FROM python:3.11\n",
            f"{API}/docs/guide.md": "",
            f"{API}/app.py": "",
            "proto/api.proto": "",
            "proto/web.proto": "",
            "uv.lock": "",
            "libs/x/README.md": "",
        },
        {"inputs": ("proto/api.*",), "exclude": ("services/api/docs", "**/README.md")},
        {
            f"{API}/Dockerfile": "dockerfile",
            f"{API}/app.py": "service-dir",
            "proto/api.proto": "declared",
            "uv.lock": "global",
        },
    ),
]


@pytest.mark.parametrize(
    ("files", "settings", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_inputs_with_their_rules(
    files: dict[str, str], settings: dict[str, Any], expected: dict[str, str]
) -> None:
    found = inputs_of(files, config(**settings), global_inputs=("uv.lock",) * ("uv.lock" in files))
    assert kinds(found) == expected


def test_whole_repo_flag_and_rule() -> None:
    files = {**DEPLOY, f"{API}/Dockerfile": "FROM x\nCOPY . .\n", "a": ""}
    found = inputs_of(files, config(context="../.."))
    assert found.whole_repo
    assert found.files["a"].describe() == (
        "COPY . from the repository root (services/api/Dockerfile:2)"
    )
    assert not inputs_of(files, config()).whole_repo


def test_from_images_external_refs_build_args_and_target() -> None:
    dockerfile = (
        "ARG PY=3.11\nARG REG\nFROM ${REG:-docker.io}/python:${PY}-slim AS base\n"
        "FROM base AS build\nADD https://example.com/x.tgz /x\n"
        "COPY --from=busybox:1.36 /bin/sh /sh\nFROM scratch\nCOPY --from=build /x /x\n"
    )
    files = {**DEPLOY, f"{API}/Dockerfile": dockerfile}
    found = inputs_of(files, config(args={"PY": "3.12", "Z": "1", "A": "2"}, target="build"))
    assert found.from_images == ("docker.io/python:3.12-slim", "busybox:1.36")
    assert found.external == ("https://example.com/x.tgz",)
    assert found.build_args == (("A", "2"), ("PY", "3.12"), ("Z", "1"))
    assert (found.dockerfile, found.target) == (f"{API}/Dockerfile", "build")


def test_rules_are_recorded_with_where_they_are_written() -> None:
    files = {
        **DEPLOY,
        f"{API}/Dockerfile": "FROM x\n\nCOPY libs/common /c\nCOPY libs/nothing /n\n",
        f"{API}/pyproject.toml": '[tool.uv.sources]\ncommon = { path = "../../libs/common" }\n',
        "libs/common/c.py": "",
    }
    found = inputs_of(files, config(context="../.."))
    assert [rule.describe() for rule in found.rules] == [
        "Dockerfile services/api/Dockerfile (services/api/deploy.yml builder.dockerfile)",
        "service directory services/api (services/api/deploy.yml)",
        "COPY libs/common (services/api/Dockerfile:3)",
        "COPY libs/nothing (services/api/Dockerfile:4)",
        "uv path source libs/common (services/api/pyproject.toml [tool.uv.sources] common)",
    ]
    assert found.files["libs/common/c.py"].kind == "copy"  # the first rule that included it


def test_dockerfile_next_to_its_own_dockerignore_wins() -> None:
    files = {
        **DEPLOY,
        f"{API}/Dockerfile": "FROM x\nCOPY . .\n",
        f"{API}/Dockerfile.dockerignore": "*.md\n",
        f"{API}/.dockerignore": "*.py\n",
        f"{API}/a.py": "",
        f"{API}/b.md": "",
    }
    assert f"{API}/a.py" in inputs_of(files, config()).files
    assert f"{API}/b.md" not in inputs_of(files, config()).files


def test_buildpacks_have_no_dockerfile() -> None:
    found = inputs_of({**DEPLOY, f"{API}/app.py": ""}, config(pack=True))
    assert kinds(found) == {f"{API}/app.py": "service-dir"}


ERRORS = [
    (
        "declared glob matching nothing",
        {**DEPLOY, f"{API}/Dockerfile": "FROM x\n"},
        {"inputs": ("libs/*/proto/**",)},
        (),
        "services/api/deploy.yml: x-kamalpy/inputs/0: "
        "'libs/*/proto/**' matches no file in the repository\n"
        "  hint: globs are relative to the repository root",
    ),
    (
        "declared exclude matching nothing, with its line",
        {
            f"{API}/deploy.yml": "service: api\nx-kamalpy:\n  exclude:\n    - docs/**\n",
            f"{API}/Dockerfile": "FROM x\n",
        },
        {"exclude": ("docs/**",)},
        (),
        "services/api/deploy.yml:4: x-kamalpy/exclude/0: "
        "'docs/**' matches no file in the repository\n"
        "  hint: globs are relative to the repository root",
    ),
    (
        "global glob matching nothing",
        {**DEPLOY, f"{API}/Dockerfile": "FROM x\n", "a": ""},
        {},
        ("a", "tools/*.sh"),
        "pyproject.toml: tool.kamalpy.global_inputs[1]: "
        "'tools/*.sh' matches no file in the repository\n"
        "  hint: globs are relative to the repository root",
    ),
    (
        "missing Dockerfile",
        DEPLOY,
        {"dockerfile": "docker/Dockerfile.prod"},
        (),
        "services/api/deploy.yml: builder/dockerfile: "
        "the Dockerfile services/api/docker/Dockerfile.prod is not in the repository",
    ),
    (
        "context outside the repository",
        {**DEPLOY, f"{API}/Dockerfile": "FROM x\n"},
        {"context": "../../.."},
        (),
        "services/api/deploy.yml: builder/context: "
        "/ is outside the repository /repo: kamalpy cannot track its files",
    ),
    (
        "workspace source that is no member",
        {
            **DEPLOY,
            f"{API}/Dockerfile": "FROM x\n",
            f"{API}/pyproject.toml": "[tool.uv.sources]\nghost = { workspace = true }\n",
        },
        {},
        (),
        "services/api/pyproject.toml: tool.uv.sources.ghost: "
        "'ghost' is not a member of a uv workspace above it",
    ),
    (
        "Dockerfile the parser rejects",
        {**DEPLOY, f"{API}/Dockerfile": "FROM x\nCOPY <<EOF /x\nnever closed\n"},
        {},
        (),
        "services/api/Dockerfile: cannot parse the Dockerfile: unterminated heredoc",
    ),
]


@pytest.mark.parametrize(
    ("files", "settings", "global_inputs", "message"),
    [c[1:] for c in ERRORS],
    ids=[c[0] for c in ERRORS],
)
def test_bad_input_is_a_config_error_naming_file_and_key(
    files: dict[str, str], settings: dict[str, Any], global_inputs: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        inputs_of(files, config(**settings), global_inputs=global_inputs)
    assert raised.value.render() == message


@pytest.mark.parametrize(
    "pyproject",
    [
        "tool = 3\n",
        '[tool]\nuv = "x"\n',
        '[tool.uv]\nsources = ["x"]\nworkspace = 1\n',
        '[project]\ndependencies = "a @ file:///repo/x"\noptional-dependencies = 2\n',
        '[tool.uv.sources]\na = [{ path = 3 }, "b"]\n',
    ],
)
def test_odd_pyproject_shapes_add_nothing_and_never_crash(pyproject: str) -> None:
    files = {**DEPLOY, f"{API}/Dockerfile": "FROM x\n", f"{API}/pyproject.toml": pyproject}
    assert set(inputs_of(files, config()).files) == {f"{API}/Dockerfile", f"{API}/pyproject.toml"}


def test_input_files_is_a_mapping_of_first_rules_minus_removed() -> None:
    first, second = InputRule("copy", "a", "D:1"), InputRule("declared", "*", "deploy.yml")
    files = InputFiles(
        [(first, frozenset({"a/1", "a/2"})), (second, frozenset({"a/2", "b", "gone"}))],
        removed=frozenset({"gone"}),
    )
    assert dict(files) == {"a/1": first, "a/2": first, "b": second}
    assert list(files) == ["a/1", "a/2", "b"]
    assert ("gone" in files, "b" in files, len(files)) == (False, True, 3)
    with pytest.raises(KeyError):
        files["gone"]
