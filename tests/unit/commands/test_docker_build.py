from __future__ import annotations

from collections.abc import Callable

import pytest

from kamalpy.commands.docker_build import (
    BuildSpec,
    build_argv,
    build_spec,
    image_id_argv,
    load_argv,
    pull_checked_argv,
    push_argv,
    save_argv,
    secret_env,
    tag_argv,
)
from kamalpy.commands.registry import login_argv, logout_argv
from kamalpy.config.model import Builder, Registry, frozen_map
from kamalpy.errors import UsageError
from tests.support.configs import make_config

SPEC = BuildSpec(
    service="app",
    tags=("r:5000/team/app:v1", "r:5000/team/app:latest"),
    context="/srv/app",
    dockerfile="/srv/app/Dockerfile",
)
FULL = BuildSpec(
    service="app",
    tags=("team/app:v1", "team/app:latest-staging"),
    context="/c",
    dockerfile="/c/Dockerfile.prod",
    target="release",
    args=(("RUBY", "3.3"), ("NOTE", "a b")),
    secrets=("GITHUB_TOKEN",),
    platforms=("linux/amd64", "linux/arm64"),
)
TAGS = ("--tag", "r:5000/team/app:v1", "--tag", "r:5000/team/app:latest")


def test_spec_tags_version_and_latest_and_resolves_paths_under_the_service_root() -> None:
    config = make_config(
        registry=Registry(server="r:5000"),
        destination="staging",
        builder=Builder(arch=("amd64", "linux/arm64"), context="..", dockerfile="docker/Dockerfile",
                        target="prod", args=frozen_map({"A": "1"}), secrets=("TOKEN",)),
    )  # fmt: skip
    assert build_spec(config) == BuildSpec(
        service="app",
        tags=("r:5000/team/app:v1", "r:5000/team/app:latest-staging"),
        context="/srv/repo/services/app/..",
        dockerfile="/srv/repo/services/app/docker/Dockerfile",
        target="prod",
        args=(("A", "1"),),
        secrets=("TOKEN",),
        platforms=("linux/amd64", "linux/arm64"),
    )


@pytest.mark.parametrize(
    ("spec", "buildx", "push", "expected"),
    [
        (SPEC, False, False,
         ("docker", "build", *TAGS, "--label", "service=app", "--file", "/srv/app/Dockerfile",
          "/srv/app")),
        (BuildSpec("app", ("i:1",), "/c", "/c/D", platforms=("linux/amd64",)), False, False,
         ("docker", "build", "--platform", "linux/amd64", "--tag", "i:1", "--label", "service=app",
          "--file", "/c/D", "/c")),
        (SPEC, True, False,
         ("docker", "buildx", "build", *TAGS, "--label", "service=app", "--file",
          "/srv/app/Dockerfile", "--load", "/srv/app")),
        (FULL, True, True,
         ("docker", "buildx", "build", "--platform", "linux/amd64,linux/arm64",
          "--tag", "team/app:v1", "--tag", "team/app:latest-staging", "--label", "service=app",
          "--file", "/c/Dockerfile.prod", "--target", "release",
          "--build-arg", "RUBY=3.3", "--build-arg", "NOTE=a b",
          "--secret", "id=GITHUB_TOKEN,env=GITHUB_TOKEN", "--push", "/c")),
    ],
)  # fmt: skip
def test_build_argv(spec: BuildSpec, buildx: bool, push: bool, expected: tuple[str, ...]) -> None:
    assert build_argv(spec, buildx=buildx, push=push) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (BuildSpec("a", ("i:1",), "/c", "/c/D", secrets=("T",)), "need BuildKit"),
        (BuildSpec("a", ("i:1",), "/c", "/c/D", platforms=("linux/a", "linux/b")), "multi-arch"),
    ],
)
def test_classic_builder_refuses_what_only_buildkit_can_do(spec: BuildSpec, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build_argv(spec, buildx=False)


@pytest.mark.parametrize(
    ("spec", "message", "hint"),
    [
        (BuildSpec("a", ("i:1",), "/c", "/c/D", secrets=("T", "U")),
         "builder.secrets (T, U) need BuildKit, and `docker buildx` is not installed here",
         "install the docker buildx plugin, or remove builder.secrets"),
        (BuildSpec("a", ("i:1",), "/c", "/c/D", platforms=("linux/a", "linux/b")),
         "a multi-arch build (linux/a, linux/b) needs `docker buildx`",
         "install the docker buildx plugin, or list one builder.arch"),
    ],
)  # fmt: skip
def test_classic_builder_refusals_say_why_and_what_to_do(
    spec: BuildSpec, message: str, hint: str
) -> None:
    with pytest.raises(UsageError) as refused:
        build_argv(spec, buildx=False)
    assert (refused.value.message, refused.value.hint) == (message, hint)


def test_one_platform_loads_with_buildx_and_the_default_is_to_load() -> None:
    one = BuildSpec("a", ("i:1",), "/c", "/c/D", platforms=("linux/arm64",))
    assert build_argv(one, buildx=True)[3:5] == ("--platform", "linux/arm64")
    assert build_argv(one, buildx=True)[-2:] == ("--load", "/c")
    with pytest.raises(UsageError) as refused:
        build_argv(FULL, buildx=True)
    assert refused.value.message == "a multi-arch image can only be pushed, not loaded locally"


def test_spec_carries_labels_and_builds_in_the_root_without_a_context() -> None:
    config = make_config(builder=Builder(arch=("amd64",)))
    spec = build_spec(config, {"kamalpy.revision": "abc", "x": "y"})
    assert spec.labels == (("kamalpy.revision", "abc"), ("x", "y"))
    assert spec.context == "/srv/repo/services/app"
    assert build_spec(config).labels == ()


def test_multi_arch_with_buildx_must_push() -> None:
    with pytest.raises(UsageError, match="only be pushed"):
        build_argv(FULL, buildx=True, push=False)


def test_secret_env_carries_values_by_name_and_names_missing_ones() -> None:
    assert secret_env(FULL, {"GITHUB_TOKEN": "t0k", "OTHER": "x"}) == {"GITHUB_TOKEN": "t0k"}
    with pytest.raises(UsageError, match="GITHUB_TOKEN") as failure:
        secret_env(FULL, {"OTHER": "x"})
    two = BuildSpec("a", ("i:1",), "/c", "/c/D", secrets=("A", "B"))
    with pytest.raises(UsageError) as both:
        secret_env(two, {})
    assert both.value.message == "build secret(s) not found in the secrets store: A, B"
    assert "x" not in failure.value.render().replace("secrets store", "")


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: push_argv("r/i:1"), ("docker", "push", "r/i:1")),
        (lambda: pull_checked_argv("r/i:1", "web", ("r/i:latest",)),
         ("sh", "-c",
          'docker pull "$1" >/dev/null || exit; '
          'label=$(docker image inspect --format "$3" "$1") || exit; '
          'if [ "$label" != "$2" ]; then printf %s "$label"; exit 65; fi; '
          'image=$1; shift 3; for tag in "$@"; do docker tag "$image" "$tag" || exit; done',
          "kamalpy-pull", "r/i:1", "web", '{{index .Config.Labels "service"}}', "r/i:latest")),
        (lambda: tag_argv("r/i:1", "r/i:latest"), ("docker", "tag", "r/i:1", "r/i:latest")),
        (lambda: image_id_argv("i:1"),
         ("docker", "image", "inspect", "--format", "{{.Id}}", "i:1")),
        (lambda: save_argv("i:1", "i:latest"), ("docker", "save", "i:1", "i:latest")),
        (lambda: load_argv(), ("docker", "load")),
        (lambda: login_argv("r:5000", "bob"),
         ("docker", "login", "r:5000", "--username", "bob", "--password-stdin")),
        (lambda: login_argv(None, "bob"),
         ("docker", "login", "--username", "bob", "--password-stdin")),
        (lambda: logout_argv("r:5000"), ("docker", "logout", "r:5000")),
        (lambda: logout_argv(None), ("docker", "logout")),
    ],
)  # fmt: skip
def test_image_and_registry_argv(
    build: Callable[[], tuple[str, ...]], expected: tuple[str, ...]
) -> None:
    # Built in the test, not at collection: mutation testing swaps the code after collection.
    assert build() == expected
