"""The bed itself: separate engines per host, a working registry, and the test images."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator

import pytest

from tests.testbed import Bed

pytestmark = pytest.mark.integration


def container_ip(bed: Bed, host: str, name: str) -> str:
    """Address of container `name` on `host`'s default bridge."""
    fmt = "{{.NetworkSettings.IPAddress}}"
    return bed.ssh(host, "docker", "inspect", "-f", fmt, name).stdout.strip()


def fetch(bed: Bed, host: str, url: str, timeout: float = 15) -> str:
    """GET `url` from inside `host`'s namespace with curl, retrying until it answers 2xx."""
    deadline = time.monotonic() + timeout
    while True:
        done = bed.in_netns(host, "curl", "-fsS", "--max-time", "5", url, check=False)
        if done.returncode == 0 or time.monotonic() > deadline:
            return done.stdout if done.returncode == 0 else f"FAILED: {done.stderr.strip()}"
        time.sleep(0.2)


@pytest.fixture
def run_app(bed: Bed) -> Iterator[list[tuple[str, str]]]:
    """Containers a test starts as (host, name); removed afterwards."""
    started: list[tuple[str, str]] = []
    yield started
    for host, name in started:
        bed.ssh(host, "docker", "rm", "-f", name, check=False)


def start(bed: Bed, started: list[tuple[str, str]], host: str, ref: str, *extra: str) -> str:
    """`docker run -d` `ref` on `host` over ssh; returns the container's address."""
    name = f"t-{ref.rsplit(':', 1)[1]}-{len(started)}"
    bed.docker_login(host)
    bed.ssh(host, "docker", "run", "-d", "--name", name, *extra, ref)
    started.append((host, name))
    return container_ip(bed, host, name)


def test_every_host_has_its_own_docker_engine(bed: Bed) -> None:
    fmt = "{{.ID}} {{.Name}}"
    infos = [bed.ssh(h.name, "docker", "info", "--format", fmt).stdout.split() for h in bed.hosts]
    assert len(bed.hosts) == 3
    assert len({engine_id for engine_id, _ in infos}) == 3
    assert [name for _, name in infos] == ["h1", "h2", "h3"]


def test_every_host_has_its_own_root_home(bed: Bed) -> None:
    homes = [bed.ssh(h.name, "sh", "-c", "echo $HOME").stdout.strip() for h in bed.hosts]
    assert homes == [h.home for h in bed.hosts]
    assert len(set(homes)) == 3


def test_registry_refuses_anonymous_and_accepts_the_bed_credentials(bed: Bed) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://{bed.registry}/v2/_catalog", timeout=5)
    assert refused.value.code == 401
    token = b64encode(f"{bed.registry_user}:{bed.registry_password}".encode()).decode()
    request = urllib.request.Request(
        f"http://{bed.registry}/v2/_catalog", headers={"Authorization": f"Basic {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
        assert isinstance(json.load(answer)["repositories"], list)


def test_pushed_image_runs_on_every_host_and_serves_its_version(
    bed: Bed, app_images: dict[str, str], run_app: list[tuple[str, str]]
) -> None:
    for host in bed.hosts:
        ip = start(bed, run_app, host.name, app_images["v1"])
        assert fetch(bed, host.name, f"http://{ip}/version") == "v1\n"


def test_variants_serve_their_own_behaviour(
    bed: Bed, app_images: dict[str, str], run_app: list[tuple[str, str]]
) -> None:
    ip = {v: start(bed, run_app, "h2", app_images[v]) for v in ("v2", "bad-up", "slow")}
    assert fetch(bed, "h2", f"http://{ip['v2']}/version") == "v2\n"
    assert fetch(bed, "h2", f"http://{ip['v2']}/up") == "ok\n"
    assert fetch(bed, "h2", f"http://{ip['bad-up']}/version") == "bad-up\n"
    assert fetch(bed, "h2", f"http://{ip['bad-up']}/up", timeout=0).startswith("FAILED")
    slow = f"http://{ip['slow']}/cgi-bin/slow"
    # curl's own timer, not this test's clock: within 1 s the slow page has not answered (28).
    assert bed.in_netns("h2", "curl", "-fsS", "--max-time", "1", slow, check=False).returncode == 28
    assert fetch(bed, "h2", slow) == "slow done\n"


def test_slow_start_variant_answers_only_after_its_delay(
    bed: Bed, app_images: dict[str, str], run_app: list[tuple[str, str]]
) -> None:
    ip = start(bed, run_app, "h3", app_images["slow-start"])
    assert fetch(bed, "h3", f"http://{ip}/up", timeout=0).startswith("FAILED")
    assert fetch(bed, "h3", f"http://{ip}/up", timeout=20) == "ok\n"


def test_env_variant_shows_its_environment_byte_exact(
    bed: Bed, app_images: dict[str, str], run_app: list[tuple[str, str]]
) -> None:
    value = "a b\n'c\"$HOME"
    ip = start(bed, run_app, "h1", app_images["env"], "-e", f"SECRET_X={value}")
    fetch(bed, "h1", f"http://{ip}/up")
    body = bed.in_netns("h1", "curl", "-fsS", "--max-time", "5", f"http://{ip}/env").stdout
    assert f"SECRET_X={value}\0" in body


def test_apps_stop_promptly_without_init(
    bed: Bed, app_images: dict[str, str], run_app: list[tuple[str, str]]
) -> None:
    start(bed, run_app, "h1", app_images["v1"])
    host, name = run_app[-1]
    bed.ssh(host, "docker", "stop", name)
    # An app that ignored SIGTERM would be killed after docker's 10 s grace: exit code 137.
    code = bed.ssh(host, "docker", "inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
    assert code != "137"


def test_traefik_image_runs_on_a_host(bed: Bed, traefik_image: str) -> None:
    bed.docker_login("h2")
    out = bed.ssh("h2", "docker", "run", "--rm", traefik_image, "version").stdout
    assert "Version:" in out and "3." in out


def test_python_image_runs_python_on_a_host(bed: Bed, python_image: str) -> None:
    bed.docker_login("h3")
    argv = ("docker", "run", "--rm", python_image, "python3", "-c", "print(6 * 7)")
    assert bed.ssh("h3", *argv).stdout == "42\n"
