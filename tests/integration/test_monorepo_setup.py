"""Acceptance: `setup` at a monorepo's root covers every service, each host once; twice is a no-op.

The example monorepo (tests/integration/monorepo_support.py: web h1-h3, api h1-h2, jobs h3,
admin h1) gets an accessory in two services (jobs: `cache` on h3, admin: `notes` on h1) and its
own proxy host names. The first `setup` probes h1-h3 once each, boots both accessories and deploys
every service; the second probes again, leaves every container, file and route as it was and
deploys nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml

from tests.integration.deploy_support import proxy_get
from tests.integration.monorepo_support import SERVICES, Monorepo, make_monorepo
from tests.testbed import Bed, images

pytestmark = pytest.mark.integration
ACCESSORIES = {"jobs": ("cache", "h3"), "admin": ("notes", "h1")}
PROXIED = {"web": ("h1", "h2", "h3"), "api": ("h1", "h2"), "admin": ("h1",)}


@pytest.fixture(scope="module")
def repo(
    bed: Bed, traefik_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Monorepo]:
    made = make_monorepo(bed, tmp_path_factory.mktemp("msetup") / "repo")
    store = images.publish_store(bed, "v1", repository="msetup-store")
    for name in SERVICES:
        path = made.root / "services" / name / "deploy.yml"
        config = yaml.safe_load(path.read_text())
        if "proxy" in config:  # host names of its own: other modules share this bed
            config["proxy"]["host"] = f"msetup-{name}.test"
        if name in ACCESSORIES:
            accessory, host = ACCESSORIES[name]
            config["accessories"] = {accessory: {"image": store, "host": host}}
        path.write_text(yaml.safe_dump(config, sort_keys=False))
    made.commit("own proxy host names, two accessories")
    yield made
    for host in ("h1", "h2", "h3"):
        labels = [*SERVICES, *(f"{s}-{a}" for s, (a, _) in ACCESSORIES.items())]
        names = " ".join(f"label=service={s}" for s in labels)
        leftovers = " ".join(
            f".kamal/proxy/dynamic/{s}-*.yml .kamal/apps/{s} .kamal/lock-{s}" for s in SERVICES
        ) + " " + " ".join(f"{s}-{a}" for s, (a, _) in ACCESSORIES.items())  # fmt: skip
        made.ssh(
            host,
            "for f in " + names + "; do docker ps -aq --filter $f | "
            f"xargs -r docker rm -f >/dev/null; done; rm -rf {leftovers}",
        )


def state(repo: Monorepo, host: str) -> str:
    """What setup could change on a host (audit logs aside: they record each run)."""
    return repo.ssh(
        host,
        "docker ps -a --format '{{.ID}} {{.Names}} {{.State}} {{.Image}}' | sort; "
        "find .kamal -name '*-audit.log' -prune -o -printf '%p %m %s\\n' 2>/dev/null | sort; "
        "cat .kamal/proxy/dynamic/*.yml 2>/dev/null; docker network ls --format '{{.Name}}'",
    )


def probes(output: str) -> list[str]:
    """The hosts `setup` probed, as its verbose output shows the commands (`  h1$ sh -c …`)."""
    parts = re.split(r"^\s*(h[0-9])\$ ", output, flags=re.MULTILINE)
    return [host for host, text in zip(parts[1::2], parts[2::2], strict=True)
            if text.startswith("sh -c ") and "' kamalpy-setup-probe" in text]  # fmt: skip


def test_setup_covers_every_service_each_host_once_and_a_second_run_changes_nothing(
    repo: Monorepo,
) -> None:
    first = repo.kamalpy("-v", "setup")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-3000:]
    assert sorted(probes(first.stderr)) == ["h1", "h2", "h3"]  # -v: commands on stderr
    assert "servers ready (admin, api, jobs, web)" in first.stdout
    assert "h3 (cache): booted" in first.stdout and "h1 (notes): booted" in first.stdout
    for name, hosts in PROXIED.items():
        for host in hosts:
            assert proxy_get(repo.bed, host, f"msetup-{name}") == (200, f"{name} 1\n")
    before = {h: state(repo, h) for h in ("h1", "h2", "h3")}
    second = repo.kamalpy("-v", "setup")
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-3000:]
    assert sorted(probes(second.stderr)) == ["h1", "h2", "h3"]
    assert "h3 (cache): already booted" in second.stdout
    assert "Nothing to deploy." in second.stdout
    assert {h: state(repo, h) for h in ("h1", "h2", "h3")} == before
