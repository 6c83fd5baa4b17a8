"""read_dockerfile: the context paths and outside references BuildKit's parser reveals."""

from __future__ import annotations

import pytest

from kamalpy.monorepo.dockerfile import ContextRef, expand, read_dockerfile


@pytest.mark.parametrize(
    ("word", "values", "expected"),
    [
        ("$A/${B}", {"A": "x", "B": "y"}, "x/y"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A:+alt}", {"A": "1"}, "alt"),
        ("${A:+alt}", {"A": ""}, ""),
        ("${A+alt}", {"A": ""}, "alt"),
        ("\\$A", {"A": "x"}, "$A"),
        ("$MISSING/x", {}, "/x"),
    ],
)
def test_expand_like_docker(word: str, values: dict[str, str], expected: str) -> None:
    assert expand(word, values) == expected


def refs(text: str, **args: str) -> list[tuple[str, str, int]]:
    facts = read_dockerfile(text, path="Dockerfile", build_args=args)
    return [(ref.kind, ref.source, ref.line) for ref in facts.refs]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM x\nCOPY a b /dst/\n", [("copy", "a", 2), ("copy", "b", 2)]),
        ("FROM x\nCOPY \\\n  a \\\n  /dst\n", [("copy", "a", 2)]),
        ('FROM x\nCOPY --chown=1:1 --link ["a b", "/d"]\n', [("copy", "a b", 2)]),
        ("FROM x\nCOPY ../../etc/./passwd /d\n", [("copy", "etc/passwd", 2)]),
        ("FROM x\nCOPY ./ /d\n", [("copy", ".", 2)]),
        ("FROM x\nADD https://e.org/a.tgz git@github.com:o/r.git b /d\n", [("add", "b", 2)]),
        ("FROM x\nCOPY <<EOF /a\nCOPY nope /b\nEOF\nCOPY c /c\n", [("copy", "c", 5)]),
        ('FROM x\nCOPY <<"A" <<-B /d/\na\nA\n\tb\nB\n', []),
        ("FROM x\nRUN --mount=type=bind,target=/s make\n", [("bind-mount", ".", 2)]),
        ("FROM x\nRUN --mount=type=secret,id=a --mount=type=tmpfs,target=/t true\n", []),
        ("# escape=`\nFROM x\nCOPY a `\n  /d\n", [("copy", "a", 3)]),
        ("FROM x AS one\nENV D=data\nFROM one\nCOPY $D /d\n", [("copy", "data", 4)]),
        ("FROM x\nONBUILD COPY a /a\n", []),
    ],
)
def test_context_refs(text: str, expected: list[tuple[str, str, int]]) -> None:
    assert refs(text) == expected


def test_build_args_override_defaults_only_where_the_arg_is_declared() -> None:
    text = "ARG G=g\nFROM x\nARG G\nARG L=l\nCOPY $G $L $U /d\n"
    assert refs(text, G="G2", L="L2", U="never") == [
        ("copy", "G2", 5),
        ("copy", "L2", 5),
    ]


def test_images_named_outside_the_dockerfile() -> None:
    text = (
        "ARG TAG=1\nFROM --platform=$BUILDPLATFORM golang:${TAG} AS build\n"
        "FROM build AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=1 /b /b\n"
        "COPY --from=redis:7 /c /c\nRUN --mount=from=node:20,target=/n true\n"
    )
    facts = read_dockerfile(text, path="Dockerfile", build_args={"TAG": "2"})
    assert facts.from_images == ("golang:2", "redis:7", "node:20")
    assert facts.refs == ()


MULTI = (
    "FROM python:3.11 AS base\nCOPY app /app\n"
    "FROM base AS test\nCOPY tests /tests\nADD https://e.org/t.tgz /t\n"
    "FROM node:20 AS assets\nCOPY web /web\n"
    "FROM base AS release\nCOPY --from=assets /web/dist /static\n"
    "FROM alpine AS unused\nCOPY docs /docs\n"
)


@pytest.mark.parametrize(
    ("target", "sources", "images"),
    [
        (None, ["docs"], ["alpine"]),  # no target: the last stage only
        ("release", ["app", "web"], ["python:3.11", "node:20"]),
        ("TEST", ["app", "tests"], ["python:3.11"]),
        ("nope", ["app", "tests", "web", "docs"], ["python:3.11", "node:20", "alpine"]),
    ],
)
def test_only_the_stages_the_target_needs_count(
    target: str | None, sources: list[str], images: list[str]
) -> None:
    facts = read_dockerfile(MULTI, path="Dockerfile", build_args={}, target=target)
    assert [ref.source for ref in facts.refs] == sources
    assert list(facts.from_images) == images


def test_ref_records_the_instruction_as_written() -> None:
    facts = read_dockerfile("FROM x\nCOPY lib/a /a\n", path="D", build_args={})
    assert facts.refs == (ContextRef("copy", "lib/a", 2, "COPY lib/a"),)
