"""The executor, build and registry flows on the real 3-host bed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamalpy.commands.docker_build import BuildSpec, build_spec
from kamalpy.commands.ssh import SshSettings
from kamalpy.config.model import Builder, Credential, Registry
from kamalpy.deploy.build import (
    build_and_push,
    build_image,
    deliver_over_ssh,
    image_id,
    pull_on_hosts,
)
from kamalpy.deploy.registry import login, logout
from kamalpy.executor.base import LOCAL, Target
from kamalpy.executor.fanout import on_hosts
from kamalpy.executor.routing import RoutingExecutor
from kamalpy.sensitive import Sensitive
from tests.support.ci import require_tool
from tests.support.configs import make_config
from tests.testbed import Bed

pytestmark = pytest.mark.integration
HOSTS = ("h1", "h2", "h3")


def targets(bed: Bed) -> list[Target]:
    settings = SshSettings(config_file=bed.ssh_config)
    return [Target(name, settings) for name in HOSTS]


def accepted_sessions(bed: Bed, host: str) -> int:
    """ssh connections sshd on `host` has authenticated so far."""
    log = Path(bed.run_dir) / "logs" / f"{host}-sshd.log"
    return log.read_text(errors="replace").count("Accepted publickey")


@pytest.fixture
def docker_config(tmp_path: Path) -> Path:
    """A private DOCKER_CONFIG so a local login never touches the machine's own."""
    path = tmp_path / "docker-config"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def context_dir(tmp_path: Path) -> Path:
    """A build context: busybox FROM scratch, nothing pulled."""
    root = tmp_path / "svc"
    root.mkdir()
    shutil.copy(require_tool("busybox", "apt-get install busybox-static"), root / "busybox")
    (root / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nARG NOTE\nCMD ["/bin/busybox", "sleep", "60"]\n'
    )
    return root


def _remove_local(*refs: str) -> None:
    with RoutingExecutor() as executor:
        executor.run(LOCAL, ["docker", "image", "rm", "--force", *refs], check=False)


@pytest.fixture
def stream_spec(context_dir: Path) -> Iterator[BuildSpec]:
    config = make_config(service="kpstream", image="kpstream", root=context_dir)
    spec = build_spec(config)
    yield spec
    _remove_local(*spec.tags)


def test_one_ssh_connection_per_host_for_many_commands(bed: Bed) -> None:
    before = {host: accepted_sessions(bed, host) for host in HOSTS}
    with RoutingExecutor() as executor:
        for _ in range(15):
            results = on_hosts(
                targets(bed), lambda t: executor.run(t, ["docker", "info", "-f", "{{.Name}}"])
            )
            results.raise_for_failures()
    opened = {host: accepted_sessions(bed, host) - before[host] for host in HOSTS}
    assert opened == {"h1": 1, "h2": 1, "h3": 1}


def test_upload_mode_600_on_a_bed_host(bed: Bed) -> None:
    with RoutingExecutor() as executor:
        target = targets(bed)[1]
        executor.upload(target, ".kamal/apps/kp/env/roles/web.env", b"A=$(x)\n")
        mode = executor.run(target, ["stat", "-c", "%a", ".kamal/apps/kp/env/roles/web.env"])
        content = executor.run(target, ["cat", ".kamal/apps/kp/env/roles/web.env"])
        executor.run(target, ["rm", "-rf", ".kamal/apps/kp"])
    assert mode.stdout.strip() == "600"
    assert content.stdout == "A=$(x)\n"


def test_registry_login_push_and_pull_on_three_hosts(
    bed: Bed, context_dir: Path, docker_config: Path
) -> None:
    registry = Registry(
        server=bed.registry,
        username=Credential(literal=Sensitive(bed.registry_user)),
        password=Credential(secret="REGISTRY_PASSWORD"),
    )
    config = make_config(
        service="kpexec", image="kpexec", root=context_dir, registry=registry,
        builder=Builder(arch=("amd64",), args={"NOTE": "n"}),
    )  # fmt: skip
    spec = build_spec(config)
    secrets = {"REGISTRY_PASSWORD": Sensitive(bed.registry_password)}
    everywhere = [LOCAL, *targets(bed)]
    try:
        with RoutingExecutor(local_env={"DOCKER_CONFIG": str(docker_config)}) as executor:
            login(executor, everywhere, registry, secrets).raise_for_failures()
            build_and_push(executor, spec, {}, buildx=False)
            pulls = pull_on_hosts(executor, targets(bed), spec)
            pulls.raise_for_failures()
            local_id = image_id(executor, LOCAL, spec.image)
            ids = {t.name: image_id(executor, t, spec.image) for t in targets(bed)}
            logout(executor, everywhere, registry).raise_for_failures()
    finally:
        _remove_local(*spec.tags)
    assert local_id and ids == {host: local_id for host in HOSTS}
    assert bed.registry_password not in (docker_config / "config.json").read_text()


def test_registry_less_delivery_streams_only_where_missing(
    bed: Bed, stream_spec: BuildSpec
) -> None:
    with RoutingExecutor() as executor:
        build_image(executor, stream_spec, {}, buildx=False)
        first = deliver_over_ssh(executor, targets(bed)[:2], stream_spec)
        second = deliver_over_ssh(executor, targets(bed), stream_spec)
        local_id = image_id(executor, LOCAL, stream_spec.image)
        latest = [image_id(executor, t, stream_spec.tags[1]) for t in targets(bed)]
    first.raise_for_failures()
    second.raise_for_failures()
    assert [first[h].sent for h in ("h1", "h2")] == [True, True]
    assert [second[h].sent for h in HOSTS] == [False, False, True]
    assert latest == [local_id] * 3


def test_unreachable_bed_host_is_named_and_others_still_answer(bed: Bed) -> None:
    from kamalpy.errors import HostUnreachable
    from kamalpy.executor.retry import RetryPolicy

    dead = Target("h2", SshSettings(config_file=bed.ssh_config, port=2222, connect_timeout=3))
    live = targets(bed)[0]
    with RoutingExecutor(retry=RetryPolicy(attempts=2, initial_wait=0.1)) as executor:
        results = on_hosts([live, dead], lambda t: executor.run(t, ["hostname"]))
    assert results.succeeded == ["h1"]
    error = results.errors["h2"]
    assert isinstance(error, HostUnreachable)
    assert error.render().startswith("h2: unreachable over ssh:")
    assert "Connection refused" in error.render()


def test_registry_less_delivery_sends_only_the_layers_a_host_lacks(
    bed: Bed, stream_spec: BuildSpec, context_dir: Path
) -> None:
    (context_dir / "Dockerfile.v2").write_text(
        f'FROM {stream_spec.image}\nRUN ["/bin/busybox", "sh", "-c", "echo two > /two"]\n'
    )
    config = make_config(service="kpstream", image="kpstream", version="v2", root=context_dir,
                         builder=Builder(arch=("amd64",), dockerfile="Dockerfile.v2"))  # fmt: skip
    v2 = build_spec(config)
    try:
        with RoutingExecutor() as executor:
            build_image(executor, stream_spec, {}, buildx=False)
            build_image(executor, v2, {}, buildx=False)
            deliver_over_ssh(executor, targets(bed)[:1], stream_spec).raise_for_failures()
            second = deliver_over_ssh(executor, targets(bed)[:2], v2)
            second.raise_for_failures()
            two = executor.run(targets(bed)[0], ["docker", "run", "--rm", v2.image,
                                                 "/bin/busybox", "cat", "/two"])  # fmt: skip
    finally:
        _remove_local(*v2.tags)
    # v1 is one layer (COPY busybox); v2 adds one: h1 holds v1, so only the new layer travels.
    assert second["h1"].sent and second["h1"].layers_skipped == 1
    assert second["h2"].sent and second["h2"].layers_skipped in (0, 1)
    assert two.stdout == "two\n"
