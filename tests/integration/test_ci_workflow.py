"""The example CI workflow's deploy step, run as GitHub would (bash -e, a summary file), deploying
this repository's example monorepo to the bed: all, then only libs/common's dependents, then none.

This also keeps the example itself from rotting: its Dockerfiles build on the bed's python base,
its redis accessory boots from its own Dockerfile, its services boot healthy behind the proxy, web
reaches api through it, and api and worker count in the store by its Kamal name (`api-redis`).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.deploy_support import REPO
from tests.integration.example_support import (
    kamalpy_ok,
    make_example,
    publish_redis,
    redis_get,
    remove_example,
)
from tests.integration.monorepo_support import Monorepo
from tests.testbed import Bed

WORKFLOW = REPO / ".github/workflows/deploy.example.yml"
STEP = "Deploy changed services"


def _step_script() -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["deploy"]["steps"]
    return next(step["run"] for step in steps if step.get("name") == STEP)


def run_step(repo: Monorepo, summary: Path) -> subprocess.CompletedProcess[str]:
    """The step's script with `bash -e` in the repository, as the runner does."""
    summary.write_text("")
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    env = {**repo.env(), "PATH": path, "GITHUB_STEP_SUMMARY": str(summary),
           "DESTINATION": "bed", "LOCK_WAIT": "60"}  # fmt: skip
    return subprocess.run(["bash", "-e", "-c", _step_script()], cwd=repo.root, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def run_nox(repo: Monorepo, *args: str) -> subprocess.CompletedProcess[str]:
    """`nox ARGS` in the repository, whose noxfile registers the kit with `-d bed`."""
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    # The services' test envs install from the index: keep this machine's network settings
    # (CA bundle, proxy) and its uv cache; the rest is the repository's CI-like environment.
    cache = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
    env = {**os.environ, **repo.env(), "PATH": path, "UV_CACHE_DIR": cache}
    return subprocess.run([sys.executable, "-m", "nox", *args], cwd=repo.root, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def get(repo: Monorepo, host: str, name: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(repo.bed.host(host).ip, 80, timeout=10)
    try:
        conn.request("GET", "/", headers={"Host": name})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def counters(repo: Monorepo, host: str) -> tuple[str, int, int]:
    """api's answer through `host`'s proxy: (greeting, visits, worker ticks), read from redis."""
    body = get(repo, host, "api.test")[1]
    found = re.fullmatch(r"(\w+) from api; visits (\d+), worker ticks (\d+)\n", body)
    assert found, f"api answered without the store's counters: {body!r}"
    return found[1], int(found[2]), int(found[3])


def wait_for_ticks(repo: Monorepo, above: int) -> int:
    """The worker's tick counter once its loop has written past `above` (bounded wait)."""
    for _ in range(60):
        ticks = redis_get(repo, "worker:ticks")
        if ticks > above:
            return ticks
        time.sleep(0.5)
    raise AssertionError(f"the worker wrote no tick to redis past {above}")


@pytest.fixture(scope="module")
def example(bed: Bed, traefik_image: str, python_image: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monorepo]:  # fmt: skip
    publish_redis(bed)
    repo = make_example(bed, tmp_path_factory.mktemp("example") / "repo", python_image)
    # As `kamalpy setup` would before the first deploy (a deploy boots no accessory).
    assert "booted" in kamalpy_ok(repo, "accessory", "boot", "redis", "-s", "api", "-d", "bed")
    yield repo
    failed = remove_example(repo)  # only what this module made: the proxy stays for the others
    assert not failed, failed


def test_workflow_step_deploys_changed_services_and_writes_the_summary(
    example: Monorepo, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    first = run_step(example, summary)
    text = summary.read_text()
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:] + text
    assert "| service | decision | hosts | why |" in text
    for row in ("| api | build+deploy | h1 |", "| web | build+deploy | h1 |",
                "| worker | build+deploy | h1 |"):  # fmt: skip
        assert row in text, text
    assert "## Deploy result: ok" in text and "Deploy summary:" in text
    # api and worker write to the accessory: read the counters back from redis itself.
    ticks = wait_for_ticks(example, 0)
    greeting, visits, seen = counters(example, "h1")
    assert greeting == "hello" and visits >= 1 and seen >= ticks
    assert redis_get(example, "api:visits") == visits
    assert wait_for_ticks(example, seen) > seen  # the loop keeps writing
    status, body = get(example, "h1", "web.test")
    assert status == 200, body
    assert body.startswith("hello from web\napi says: hello from api; visits "), body
    assert redis_get(example, "api:visits") == visits + 1  # web's call reached api, api counted

    shared = "libs/common/src/common/__init__.py"
    example.write(shared, (REPO / shared).read_text().replace('"hello"', '"hi"'))
    example.commit("libs/common: hi")
    # The acceptance, through the nox kit: only libs/common's dependents.
    tests = run_nox(example, "-s", "test")
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    ran = [line for line in tests.stderr.splitlines() if "its own tests" in line]
    assert [line.split("== ")[1].split(":")[0] for line in ran] == ["api", "worker"], ran
    dry = run_nox(example, "-s", "deploy", "--", "--dry-run")
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr[-3000:]
    after = dry.stdout.split("Dry run:", 1)[1]
    assert " api " in after and " worker " in after and " web " not in after, after
    second = run_step(example, summary)
    text = summary.read_text()
    assert second.returncode == 0, second.stdout[-5000:] + text
    assert "| api | build+deploy |" in text and "| worker | build+deploy |" in text
    assert "| web | skip |" in text
    # The redeployed api and worker find the store's data: it lives in the accessory.
    greeting, after, _ = counters(example, "h1")
    assert greeting == "hi" and after > visits + 1, after
    ticks = redis_get(example, "worker:ticks")
    assert wait_for_ticks(example, ticks) > ticks

    third = run_step(example, summary)
    assert third.returncode == 0, third.stdout[-3000:]
    assert "Nothing to deploy." in summary.read_text()
