"""Values reach a real container through `docker run --env-file` byte for byte, or are refused."""

from __future__ import annotations

import io
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamalpy.commands.env_file import env_file_problem, render_env_file
from kamalpy.errors import SecretsError
from kamalpy.sensitive import Sensitive
from tests.support.ci import require_tool

pytestmark = pytest.mark.integration

TRICKY = st.sampled_from(
    ["\n", "\r", "\r\n", "=", '"', "'", "#", " ", "\t", "\\", "$", "é", "😀", "\u2028", "\x0b"]
)
VALUES = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=60),
    st.lists(st.one_of(TRICKY, st.text(max_size=4)), max_size=20).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "é"]), st.integers(30_000, 70_000)),
)


@pytest.fixture(scope="module")
def probe_image() -> Iterator[str]:
    """A FROM-scratch image whose only process prints its own environment (NUL-separated)."""
    require_tool("docker", "apt-get install docker.io")
    busybox = require_tool("busybox", "apt-get install busybox-static")
    tag = f"kamalpy-secrets-envprobe:{uuid.uuid4().hex[:8]}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(busybox, arcname="bin/busybox")
    change = 'ENTRYPOINT ["/bin/busybox", "cat", "/proc/self/environ"]'
    subprocess.run(
        ["docker", "import", "-c", change, "-", tag],
        input=buffer.getvalue(),
        check=True,
        capture_output=True,
    )
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], check=False, capture_output=True)


def container_env(image: str, env_file: Path) -> dict[bytes, bytes]:
    out = subprocess.run(
        ["docker", "run", "--rm", "--env-file", str(env_file), image],
        capture_output=True,
        check=True,
    ).stdout
    return dict(item.split(b"=", 1) for item in out.split(b"\0") if item)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(VALUES, min_size=1, max_size=8))
def test_every_value_arrives_exact_or_is_refused_naming_it(
    probe_image: str, tmp_path_factory: pytest.TempPathFactory, values: list[str]
) -> None:
    named = {f"SECRET_{i}": value for i, value in enumerate(values)}
    carried = {k: Sensitive(v) for k, v in named.items() if env_file_problem(k, v) is None}
    for name, value in named.items():
        if name not in carried:
            with pytest.raises(SecretsError) as error:
                render_env_file({**carried, name: Sensitive(value)})
            assert name in error.value.message
            if len(value) > 4:
                assert value not in error.value.render()
    env_file = tmp_path_factory.mktemp("env") / "role.env"
    env_file.write_bytes(render_env_file(carried))
    env = container_env(probe_image, env_file)
    for name, value in carried.items():
        assert env[name.encode()] == value.reveal().encode("utf-8"), name


@pytest.mark.parametrize("value", ["two\nlines", "trailing\r", "x" * 65534])
def test_refused_values_really_would_be_altered_by_docker(
    probe_image: str, tmp_path: Path, value: str
) -> None:
    """The refusals are not arbitrary: written naively, docker changes or rejects them."""
    env_file = tmp_path / "naive.env"
    env_file.write_bytes(f"V={value}\n".encode())
    run = subprocess.run(
        ["docker", "run", "--rm", "--env-file", str(env_file), probe_image], capture_output=True
    )
    if run.returncode == 0:
        env = dict(item.split(b"=", 1) for item in run.stdout.split(b"\0") if b"=" in item)
        assert env.get(b"V") != value.encode()
    assert env_file_problem("V", value) is not None
