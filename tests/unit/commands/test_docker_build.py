from __future__ import annotations

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


def test_multi_arch_with_buildx_must_push() -> None:
    with pytest.raises(UsageError, match="only be pushed"):
        build_argv(FULL, buildx=True, push=False)


def test_secret_env_carries_values_by_name_and_names_missing_ones() -> None:
    assert secret_env(FULL, {"GITHUB_TOKEN": "t0k", "OTHER": "x"}) == {"GITHUB_TOKEN": "t0k"}
    with pytest.raises(UsageError, match="GITHUB_TOKEN") as failure:
        secret_env(FULL, {"OTHER": "x"})
    assert "x" not in failure.value.render().replace("secrets store", "")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (push_argv("r/i:1"), ("docker", "push", "r/i:1")),
        (pull_checked_argv("r/i:1", "web", ("r/i:latest",)),
         ("sh", "-c",
          'docker pull "$1" >/dev/null || exit; '
          'label=$(docker image inspect --format "$3" "$1") || exit; '
          'if [ "$label" != "$2" ]; then printf %s "$label"; exit 65; fi; '
          'image=$1; shift 3; for tag in "$@"; do docker tag "$image" "$tag" || exit; done',
          "kamalpy-pull", "r/i:1", "web", '{{index .Config.Labels "service"}}', "r/i:latest")),
        (tag_argv("r/i:1", "r/i:latest"), ("docker", "tag", "r/i:1", "r/i:latest")),
        (image_id_argv("i:1"), ("docker", "image", "inspect", "--format", "{{.Id}}", "i:1")),
        (save_argv("i:1", "i:latest"), ("docker", "save", "i:1", "i:latest")),
        (load_argv(), ("docker", "load")),
        (login_argv("r:5000", "bob"),
         ("docker", "login", "r:5000", "--username", "bob", "--password-stdin")),
        (login_argv(None, "bob"), ("docker", "login", "--username", "bob", "--password-stdin")),
        (logout_argv("r:5000"), ("docker", "logout", "r:5000")),
        (logout_argv(None), ("docker", "logout")),
    ],
)  # fmt: skip
def test_image_and_registry_argv(argv: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert argv == expected
