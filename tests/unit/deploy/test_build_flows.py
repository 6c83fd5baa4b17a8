from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.commands.docker_build import (
    LABEL_MISMATCH,
    BuildSpec,
    pull_checked_argv,
    shared_leading_layers,
)
from kamalpy.config.model import Credential, Registry
from kamalpy.deploy.build import (
    build_and_push,
    build_image,
    deliver_over_ssh,
    has_buildx,
    pull_on_hosts,
)
from kamalpy.deploy.registry import credential_value, login, logout, uses_registry
from kamalpy.errors import CommandFailed, DeployFailed, UsageError
from kamalpy.executor.base import LOCAL, Target
from kamalpy.executor.fanout import HostsFailed
from kamalpy.executor.recording import Recorded, RecordingExecutor
from kamalpy.sensitive import Sensitive

SPEC = BuildSpec("app", ("r:5000/app:v1", "r:5000/app:latest"), "/c", "/c/Dockerfile")
HOSTS = [Target("h1"), Target("h2")]
INSPECT_ID = ("docker", "image", "inspect", "--format", "{{.Id}}", "r:5000/app:v1")
INSPECT_LAYERS = (
    "docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}", "r:5000/app:v1",
)  # fmt: skip
REGISTRY = Registry("r:5000", Credential(secret="USER"), Credential(secret="PASS"))
SECRETS = {"USER": Sensitive("bob"), "PASS": Sensitive("pa$$ word")}


def test_buildx_is_detected_by_its_version_command() -> None:
    executor = RecordingExecutor()
    executor.respond(["docker", "buildx"], exit_status=1)
    assert has_buildx(executor) is False
    assert executor.calls == [Recorded("local", ("docker", "buildx", "version"))]


def test_classic_build_then_push_of_each_tag() -> None:
    executor = RecordingExecutor()
    build_and_push(executor, SPEC, {}, buildx=False)
    assert executor.commands_for("local") == [
        ("docker", "build", "--tag", "r:5000/app:v1", "--tag", "r:5000/app:latest",
         "--label", "service=app", "--file", "/c/Dockerfile", "/c"),
        ("docker", "push", "r:5000/app:v1"),
        ("docker", "push", "r:5000/app:latest"),
    ]  # fmt: skip


def test_buildx_pushes_in_the_build_and_never_puts_secret_values_in_argv() -> None:
    spec = BuildSpec("app", ("i:1",), "/c", "/c/D", secrets=("TOKEN",))
    executor = RecordingExecutor()
    build_and_push(executor, spec, {"TOKEN": Sensitive("s3cr3t")}, buildx=True)
    [call] = executor.calls
    assert call.argv[-4:] == ("--secret", "id=TOKEN,env=TOKEN", "--push", "/c")
    assert "s3cr3t" not in repr(executor.calls)


def test_missing_build_secret_is_a_usage_error_naming_it() -> None:
    spec = BuildSpec("app", ("i:1",), "/c", "/c/D", secrets=("TOKEN",))
    with pytest.raises(UsageError, match="TOKEN"):
        build_image(RecordingExecutor(), spec, {}, buildx=True)


def test_pull_checks_the_service_label_on_every_host() -> None:
    executor = RecordingExecutor()
    executor.respond(("sh", "-c"), stdout="other", exit_status=LABEL_MISMATCH, target="h2")
    results = pull_on_hosts(executor, HOSTS, SPEC)
    assert results.succeeded == ["h1"]
    assert isinstance(results.errors["h2"], DeployFailed)
    assert "h2: image r:5000/app:v1 has label service='other'" in results.errors["h2"].render()
    assert executor.commands_for("h1") == [pull_checked_argv("r:5000/app:v1", "app")]


def test_pull_with_tag_adds_the_latest_tags_in_the_same_command() -> None:
    executor = RecordingExecutor()
    spec = BuildSpec("app", ("r:5000/app:v1", "r:5000/app:latest"), "/c", "/c/D")
    assert pull_on_hosts(executor, HOSTS[:1], spec, tag=True).ok
    assert executor.commands_for("h1") == [
        pull_checked_argv("r:5000/app:v1", "app", ("r:5000/app:latest",))
    ]


def test_a_failed_pull_names_the_host_and_the_registry_error() -> None:
    executor = RecordingExecutor()
    executor.respond(("sh", "-c"), stderr="manifest unknown", exit_status=1, target="h2")
    results = pull_on_hosts(executor, HOSTS, SPEC)
    assert isinstance(results.errors["h2"], CommandFailed)
    assert "manifest unknown" in results.errors["h2"].render()


def test_deliver_streams_only_to_hosts_lacking_the_image() -> None:
    executor = RecordingExecutor()
    executor.respond(INSPECT_ID, stdout="sha256:abc\n", target="local")
    executor.respond(INSPECT_ID, stdout="sha256:abc\n", target="h1")
    executor.respond(INSPECT_ID, exit_status=1, target="h2", times=1)
    executor.respond(INSPECT_ID, stdout="sha256:abc\n", target="h2")
    results = deliver_over_ssh(executor, HOSTS, SPEC)
    assert results.ok
    assert [results[h].sent for h in ("h1", "h2")] == [False, True]
    assert executor.commands_for("h1") == [INSPECT_ID]
    assert executor.commands_for("h2") == [
        INSPECT_ID,
        ("docker", "image", "ls", "--all", "--quiet", "--no-trunc"),
        ("docker", "load"),
        ("docker", "tag", "r:5000/app:v1", "r:5000/app:latest"),
        INSPECT_ID,
    ]
    assert ("docker", "save", "r:5000/app:v1") in executor.commands_for("local")


def test_deliver_without_a_local_image_fails_before_touching_hosts() -> None:
    executor = RecordingExecutor()
    executor.respond(INSPECT_ID, exit_status=1, target="local")
    with pytest.raises(DeployFailed, match="local: image r:5000/app:v1 not found"):
        deliver_over_ssh(executor, HOSTS, SPEC)
    assert executor.commands_for("h1") == []


def test_login_sends_the_password_on_stdin_to_every_target() -> None:
    executor = RecordingExecutor()
    results = login(executor, [LOCAL, *HOSTS], REGISTRY, SECRETS)
    assert results.ok
    expected = ("docker", "login", "r:5000", "--username", "bob", "--password-stdin")
    assert sorted(executor.calls, key=lambda c: c.target) == [
        Recorded(name, expected, len("pa$$ word")) for name in ("h1", "h2", "local")
    ]


def test_login_failure_on_one_host_names_it() -> None:
    executor = RecordingExecutor()
    executor.respond(["docker", "login"], exit_status=1, stderr="denied", target="h2")
    results = login(executor, HOSTS, REGISTRY, SECRETS)
    with pytest.raises(HostsFailed, match="h2: command exited 1"):
        results.raise_for_failures()


def test_logout_everywhere() -> None:
    executor = RecordingExecutor()
    logout(executor, HOSTS, REGISTRY).raise_for_failures()
    assert executor.commands_for("h2") == [("docker", "logout", "r:5000")]


@pytest.mark.parametrize(
    ("credential", "expected"),
    [(Credential(secret="PASS"), "pa$$ word"), (Credential(literal=Sensitive("lit")), "lit")],
)
def test_credentials_come_from_secrets_or_literals(credential: Credential, expected: str) -> None:
    assert credential_value(credential, SECRETS, "password").reveal() == expected


@pytest.mark.parametrize("credential", [None, Credential(secret="NOPE")])
def test_missing_credential_is_a_usage_error(credential: Credential | None) -> None:
    with pytest.raises(UsageError, match=r"registry\.password"):
        credential_value(credential, SECRETS, "password")


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        (Registry("localhost:5555"), False),
        (Registry("127.0.0.1:5555"), False),
        (Registry("127.0.0.1:5000", Credential("U"), Credential("P")), True),
        (Registry("r:5000", Credential("U"), Credential("P")), True),
        (Registry(None, Credential("U"), Credential("P")), True),
    ],
)
def test_local_registry_without_credentials_means_images_go_over_ssh(
    registry: Registry, expected: bool
) -> None:
    assert uses_registry(registry) is expected


def test_deliver_sends_a_thin_tar_when_the_host_shares_leading_layers(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    layers = '["sha256:a","sha256:b","sha256:c"]'
    executor.respond(INSPECT_ID, stdout="sha256:new\n", target="local")
    executor.respond(INSPECT_LAYERS, stdout=layers + "\n", target="local")
    executor.respond(INSPECT_ID, exit_status=1, target="h1", times=1)
    executor.respond(INSPECT_ID, stdout="sha256:new\n", target="h1")
    executor.respond(["docker", "image", "ls"], stdout="sha256:old\nsha256:base\n", target="h1")
    executor.respond(
        ["docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}"],
        stdout='["sha256:a","sha256:b","sha256:x"]\n["sha256:a"]\n',
        target="h1",
    )
    # The recording executor writes no file, so the thin tar fails to build: prove we got there.
    with pytest.raises(HostsFailed) as failure:
        deliver_over_ssh(executor, HOSTS[:1], SPEC).raise_for_failures()
    assert "FileNotFoundError" in failure.value.render() or "No such file" in failure.value.render()
    save = [c.argv for c in executor.calls if c.argv[:3] == ("docker", "save", "--output")]
    assert save and save[0][-1] == SPEC.image


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        ([], 0),
        ([["a", "b", "x"], ["a"]], 2),
        ([["a", "b", "c", "d"]], 3),
        ([["z", "a", "b"]], 0),
    ],
)
def test_shared_leading_layers_counts_the_longest_common_prefix(
    theirs: list[list[str]], expected: int
) -> None:
    assert shared_leading_layers(["a", "b", "c"], theirs) == expected
