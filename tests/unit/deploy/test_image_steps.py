from __future__ import annotations

from kamalpy.commands.docker_build import pull_checked_argv
from kamalpy.config.model import Builder, Credential, Registry
from kamalpy.deploy.image import HostImage, image_to_hosts, prepare_image, secret_names
from kamalpy.executor.base import Target
from kamalpy.executor.recording import RecordingExecutor
from tests.support.configs import make_config

REMOTE = Registry("reg:5000", Credential(secret="USER"), Credential(secret="PASS"))
LOCAL_FORM = Registry("localhost:5555")
HOSTS = [Target("h1"), Target("h2")]


def test_with_a_registry_the_image_is_built_pushed_and_pulled() -> None:
    config = make_config(registry=REMOTE)
    executor = RecordingExecutor()
    spec = prepare_image(executor, config, {}, buildx=False)
    results = image_to_hosts(executor, config, HOSTS)
    assert [argv[:2] for argv in executor.commands_for("local")] == [("docker", "build")] + [
        ("docker", "push")
    ] * 2
    assert [results[h].action for h in results] == ["pulled", "pulled"]
    assert executor.commands_for("h1") == [pull_checked_argv(spec.image, spec.service)]


def test_local_registry_form_builds_without_pushing_and_streams() -> None:
    config = make_config(registry=LOCAL_FORM)
    executor = RecordingExecutor()
    executor.respond(["docker", "image", "inspect", "--format", "{{.Id}}"], stdout="sha256:x")
    prepare_image(executor, config, {}, buildx=False)
    results = image_to_hosts(executor, config, HOSTS)
    assert executor.commands_for("local")[0][:2] == ("docker", "build")
    assert ("docker", "push") not in [argv[:2] for argv in executor.commands_for("local")]
    assert [results[h].action for h in results] == ["present", "present"]


def test_via_ssh_overrides_a_configured_registry() -> None:
    config = make_config(registry=REMOTE)
    executor = RecordingExecutor()
    executor.respond(["docker", "image", "inspect", "--format", "{{.Id}}"], stdout="sha256:x")
    results = image_to_hosts(executor, config, HOSTS, via_ssh=True)
    assert results.ok and not any(a[:2] == ("docker", "pull") for a in executor.commands_for("h1"))


def test_secret_names_cover_build_secrets_and_registry_credentials() -> None:
    config = make_config(registry=REMOTE, builder=Builder(arch=("amd64",), secrets=("TOKEN",)))
    assert secret_names(config) == ("TOKEN", "USER", "PASS")


def test_step_lines_say_what_travelled() -> None:
    assert HostImage("h1", "streamed", 1.0, 3).describe("i:1") == (
        "stream i:1 over ssh (3 layers already there)"
    )
    assert HostImage("h1", "present", 0.0).describe("i:1") == "already present i:1"
    assert HostImage("h1", "pulled", 0.5).describe("i:1") == "pull i:1"
