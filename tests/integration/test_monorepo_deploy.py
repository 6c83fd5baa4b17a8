"""Acceptance: a monorepo deployed to the bed, only what changed, decided against what runs.

The tests run in order on one repository (module scope): each one changes the repository or
the hosts and checks the next decision and deploy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.deploy_support import proxy_get
from tests.integration.monorepo_support import SERVICES, Monorepo, make_monorepo
from tests.testbed import Bed


@pytest.fixture(scope="module")
def repo(
    bed: Bed, traefik_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Monorepo]:
    remove_local_images("/mono-")  # images of an earlier run would be reused, not built
    made = make_monorepo(bed, tmp_path_factory.mktemp("mono") / "repo")
    yield made
    for host in ("h1", "h2", "h3"):
        names = " ".join(f"label=service={s}" for s in SERVICES)
        leftovers = " ".join(
            f".kamal/proxy/dynamic/{s}-*.yml .kamal/apps/{s} .kamal/lock-{s}" for s in SERVICES
        )  # only its own: other modules share this bed
        made.ssh(
            host,
            "for f in " + names + "; do docker ps -aq --filter $f | "
            f"xargs -r docker rm -f >/dev/null; done; rm -rf {leftovers}",
        )


def remove_local_images(part: str) -> None:
    """Remove this machine's images whose reference contains `part`."""
    listing = subprocess.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    local = [ref for ref in listing.split() if part in ref]
    if local:
        subprocess.run(["docker", "image", "rm", "-f", *local], capture_output=True, check=True)


def decisions(repo: Monorepo, cwd: Path | None = None) -> dict[str, str]:
    return {name: str(s["decision"]) for name, s in repo.plan(cwd).items()}


def get(repo: Monorepo, host: str, service: str, path: str = "/version") -> tuple[int, str]:
    return proxy_get(repo.bed, host, f"mono-{service}", path)


def deploy(repo: Monorepo, *args: str) -> subprocess.CompletedProcess[str]:
    result = repo.kamalpy("-v", "deploy", *args)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    return result


def built(result: subprocess.CompletedProcess[str]) -> set[str]:
    """Services whose image was built by this run (its `docker build` ran)."""
    out = result.stdout + result.stderr
    return {s for s in SERVICES if f"--tag {_registry_prefix(out)}mono-{s}:" in _builds(out)}


def _builds(out: str) -> str:
    return "\n".join(line for line in out.splitlines() if "docker build" in line)


def _registry_prefix(out: str) -> str:
    for line in out.splitlines():
        if "--tag " in line and "/mono-" in line:
            tag = line.split("--tag ", 1)[1].split()[0]
            return tag.split("mono-")[0]
    return ""


def test_first_deploy_builds_and_deploys_every_service(repo: Monorepo) -> None:
    assert set(decisions(repo).values()) == {"build+deploy"}
    result = deploy(repo)
    assert built(result) == set(SERVICES)
    assert get(repo, "h3", "web") == (200, "web 1\n")
    assert get(repo, "h2", "api") == (200, "api 1\n")
    assert get(repo, "h1", "admin") == (200, "admin 1\n")
    assert get(repo, "h1", "api", "/common/common.txt") == (200, "common 1\n")
    labels = json.loads(repo.ssh("h3", "docker inspect --format '{{json .Config.Labels}}' "
                                 "$(docker ps -q --filter label=service=jobs)"))  # fmt: skip
    assert len(labels["kamalpy.image-digest"]) == 64
    assert labels["kamalpy.revision"] == repo.git("rev-parse", "HEAD").strip()


def test_nothing_changed_plans_nothing_and_deploys_nothing(repo: Monorepo) -> None:
    assert set(decisions(repo).values()) == {"skip"}
    before = repo.container_ids()
    result = repo.kamalpy("deploy")
    assert result.returncode == 0, result.stderr
    assert "Nothing to deploy." in result.stdout
    assert repo.container_ids() == before


def test_readme_change_is_nothing_to_deploy_and_why_not_says_why(repo: Monorepo) -> None:
    repo.write("README.md", "# mono, documented\n")
    repo.commit("docs only")
    result = repo.kamalpy("plan")
    assert result.returncode == 0, result.stderr
    assert "Nothing to deploy." in result.stdout
    for service in SERVICES:
        why_not = repo.kamalpy("why-not", service)
        assert why_not.returncode == 0, why_not.stderr
        assert "README.md  [modified]" in why_not.stdout
        assert "its input rules:" in why_not.stdout


def test_shared_library_change_deploys_exactly_its_dependents(repo: Monorepo) -> None:
    repo.write("libs/common/common.txt", "common 2\n")
    repo.commit("common 2")
    assert decisions(repo) == {
        "admin": "skip", "api": "build+deploy", "jobs": "build+deploy", "web": "skip",
    }  # fmt: skip
    why = repo.kamalpy("why", "api")
    assert "libs/common/common.txt  [modified]  <- " in why.stdout, why.stdout
    before = repo.container_ids()
    result = deploy(repo)
    assert built(result) == {"api", "jobs"}
    after = repo.container_ids()
    for key, cid in before.items():
        service = key.split("/")[1]
        assert (after[key] == cid) == (service in ("admin", "web")), key
    assert get(repo, "h1", "api", "/common/common.txt") == (200, "common 2\n")


def test_clear_env_change_redeploys_without_a_build(repo: Monorepo) -> None:
    repo.set_env("web", "GREETING", "hello again")
    repo.commit("web greeting")
    plan = repo.plan()
    assert plan["web"]["decision"] == "deploy"
    assert {s for s, p in plan.items() if p["deploy"]} == {"web"}
    why = repo.kamalpy("why", "web")
    assert "env.clear.GREETING changed" in why.stdout, why.stdout
    result = deploy(repo)
    assert built(result) == set()
    assert "docker build" not in result.stdout + result.stderr
    env = repo.ssh("h2", "docker inspect --format '{{json .Config.Env}}' "
                   "$(docker ps -q --filter label=service=web)")  # fmt: skip
    assert "GREETING=hello again" in env
    assert decisions(repo)["web"] == "skip"


def test_secret_change_redeploys_without_a_build_and_names_only_the_secret(repo: Monorepo) -> None:
    repo.set_secret("admin", {"ADMIN_TOKEN": "token-2"})
    repo.commit("rotate admin token")
    assert decisions(repo)["admin"] == "deploy"
    why = repo.kamalpy("why", "admin")
    assert "secret ADMIN_TOKEN changed" in why.stdout, why.stdout
    assert "token-2" not in why.stdout + why.stderr
    result = deploy(repo)
    assert built(result) == set()
    assert "token-2" not in result.stdout + result.stderr
    env = repo.ssh("h1", "docker exec $(docker ps -q --filter label=service=admin) "
                   "cat /proc/1/environ | tr '\\0' '\\n'")  # fmt: skip
    assert "ADMIN_TOKEN=token-2" in env


def test_three_commits_then_one_deploy_ships_all_three(repo: Monorepo) -> None:
    for service in ("web", "api", "admin"):
        repo.write(f"services/{service}/www/version", f"{service} 3\n")
        repo.commit(f"{service} 3")
    plan = repo.plan()
    assert {s for s, p in plan.items() if p["deploy"]} == {"web", "api", "admin"}
    since = repo.kamalpy("plan", "--json", "--since", "HEAD~1")  # what HEAD~1 logic would see
    changed = {s["service"] for s in json.loads(since.stdout)["services"] if s["deploy"]}
    assert changed == {"admin"}
    deploy(repo)
    assert get(repo, "h1", "web") == (200, "web 3\n")
    assert get(repo, "h2", "api") == (200, "api 3\n")
    assert get(repo, "h1", "admin") == (200, "admin 3\n")


def test_shallow_clone_plans_the_same_as_the_full_clone(repo: Monorepo, tmp_path: Path) -> None:
    repo.write("services/web/www/version", "web 4\n")
    repo.commit("web 4")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow)],
                   check=True)  # fmt: skip
    full = repo.plan()
    cloned = repo.plan(cwd=shallow)
    for service in SERVICES:
        for key in ("decision", "image_digest", "runtime_digest"):
            assert cloned[service][key] == full[service][key], (service, key)
    shutil.rmtree(shallow)


def test_hosts_that_disagree_are_drift_and_a_deploy_converges_them(repo: Monorepo) -> None:
    deploy(repo, "-H", "h2")  # web 4 lands on h2 only
    assert get(repo, "h2", "web") == (200, "web 4\n")
    assert get(repo, "h1", "web") == (200, "web 3\n")
    assert decisions(repo)["web"] == "drift"
    result = deploy(repo)
    assert built(result) == set()  # the image of web 4 exists: converging needs no build
    for host in ("h1", "h2", "h3"):
        assert get(repo, host, "web") == (200, "web 4\n")
    assert decisions(repo)["web"] == "skip"


def test_a_reverted_change_reuses_the_image_built_then(repo: Monorepo) -> None:
    repo.write("services/web/www/version", "web 3\n")  # built two tests ago, still local
    repo.commit("web back to 3")
    assert decisions(repo)["web"] == "build+deploy"
    digest_tag = f"digest-{repo.plan()['web']['image_digest']}"
    drop_registry_tag(repo, "mono-web", digest_tag)  # else the registry's copy is reused first
    result = deploy(repo)
    assert built(result) == set()
    assert "(reused a local image)" in result.stdout
    assert get(repo, "h3", "web") == (200, "web 3\n")
    assert registry_tag(repo, "mono-web", digest_tag).is_dir()  # pushed again for the next run


def registry_tag(repo: Monorepo, repository: str, tag: str) -> Path:
    """Where the bed's registry (filesystem storage) keeps a tag."""
    tags = Path(repo.bed.data_dir) / "registry/docker/registry/v2/repositories"
    return tags / repository / "_manifests/tags" / tag


def drop_registry_tag(repo: Monorepo, repository: str, tag: str) -> None:
    """Delete a tag from the bed's registry: it answers 404 for it from then on."""
    path = registry_tag(repo, repository, tag)
    assert path.is_dir(), path
    shutil.rmtree(path)


def test_an_image_only_the_registry_has_is_reused_not_rebuilt(repo: Monorepo) -> None:
    remove_local_images("/mono-web:")
    repo.write("services/web/www/version", "web 4\n")
    repo.commit("web forward to 4 again")
    result = deploy(repo)
    assert built(result) == set()
    assert "(reused from the registry)" in result.stdout
    for host in ("h1", "h2", "h3"):
        assert get(repo, host, "web") == (200, "web 4\n")


def test_dry_run_prints_the_commands_and_changes_nothing(repo: Monorepo) -> None:
    repo.write("services/api/www/version", "api dry\n")
    repo.commit("api dry")
    before = repo.container_ids()
    result = repo.kamalpy("deploy", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "h1: sh -c" in result.stdout and "kamalpy-boot api-web-" in result.stdout
    assert "web-web-" not in result.stdout  # unchanged services print nothing
    assert repo.container_ids() == before


def test_one_failing_service_leaves_the_others_deployed(repo: Monorepo) -> None:
    repo.write("services/web/www/version", "web 5\n")
    repo.write("services/api/www/version", "api 5\n")
    (repo.root / "services/admin/www/health").unlink()  # its health check will fail
    repo.write("services/admin/www/version", "admin 5\n")
    repo.commit("web 5, api 5, a broken admin 5")
    result = repo.kamalpy("deploy")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "admin" in result.stdout.split("Deploy summary:")[1]
    assert "1 of 3 services failed" in result.stdout
    assert get(repo, "h1", "web") == (200, "web 5\n")
    assert get(repo, "h1", "api") == (200, "api 5\n")
    assert get(repo, "h1", "admin") == (200, "admin 3\n")


def test_saved_plan_is_refused_after_a_commit_touching_a_planned_service(
    repo: Monorepo, tmp_path: Path
) -> None:
    repo.write("services/admin/www/health", "ok\n")
    repo.commit("admin fixed")
    saved = tmp_path / "plan.json"
    plan = repo.kamalpy("plan", "--json")
    saved.write_text(plan.stdout)
    repo.write("services/admin/www/version", "admin 6\n")
    repo.commit("admin 6")
    result = repo.kamalpy("deploy", "--plan", str(saved))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the plan is out of date" in result.stderr
    assert "admin: image digest changed" in result.stderr
    assert get(repo, "h1", "admin") == (200, "admin 3\n")
    fresh = tmp_path / "fresh.json"
    fresh.write_text(repo.kamalpy("plan", "--json").stdout)
    deploy(repo, "--plan", str(fresh))
    assert get(repo, "h1", "admin") == (200, "admin 6\n")
