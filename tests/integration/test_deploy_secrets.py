"""Acceptance: secrets from the encrypted store at deploy time, on the real bed.

Every run gets only PATH, PYTHONPATH, LANG, an empty HOME and KAMALPY_IDENTITY: no secret value
is in kamalpy's environment, so whatever reaches a container came from the store.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.integration.deploy_support import HOSTS
from tests.integration.proc_sampler import CmdlineSampler
from tests.integration.secrets_support import StoreService, make_store_service
from tests.testbed import Bed

COUNTER = itertools.count()
# The documented contract (docs/secrets.md), written out independently of kamalpy's code.
MAX_LINE = 65535


def carriable(variable: str, value: str) -> bool:
    """Whether docs/secrets.md promises `variable=value` passes through an env file exactly."""
    size = len(variable.encode()) + 1 + len(value.encode())
    return not ("\n" in value or "\0" in value or value.endswith("\r") or size > MAX_LINE)


@pytest.fixture(scope="module")
def svc(
    bed: Bed,
    app_images: dict[str, str],
    traefik_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StoreService]:
    service = make_store_service(bed, tmp_path_factory.mktemp("sdeploy"), "sdeploy")
    yield service
    for host in HOSTS:  # the bed is shared by the session: leave other modules a quiet host
        service.ssh_out(host, service.cleanup_script())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    empty = tmp_path / "home"
    empty.mkdir()
    return empty


def _deploy(svc: StoreService, home: Path, *args: str) -> tuple[int, str, str]:
    version = f"s{next(COUNTER)}"
    svc.publish_env_image(version)
    result = svc.kamalpy(home, "--verbose", "deploy", "--skip-push", "--version", version, *args)
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace"), version


def _entries(values: dict[str, str]) -> dict[str, str]:
    """`env.secret` entry -> container variable: every other secret behind an alias."""
    return {(f"V{n[1:]}:{n}" if i % 2 else n): (f"V{n[1:]}" if i % 2 else n)
            for i, n in enumerate(values)}  # fmt: skip


SPECIAL = st.sampled_from(
    ["", " ", "a\nb", "end\r", "mid\rdle", "nul\0", "#c", "'q'", '"dq"', "=x=", "$(id)", "`id`",
     "\\n", "ü ✓ 🚀", " lead", "trail ", "\t\x0b\x0c", "\x1b[31m", "\u2028\x85"]
)  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(st.one_of(TEXT, SPECIAL), min_size=20, max_size=30),
       big_line=st.integers(MAX_LINE - 12, MAX_LINE + 8))  # fmt: skip
def test_stored_values_arrive_byte_exact_or_the_deploy_is_refused_naming_the_secret(
    svc: StoreService, home: Path, values: list[str], big_line: int
) -> None:
    named = {f"S{i:02d}": value for i, value in enumerate(values)}
    named["SBIG"] = "y" * (big_line - len("SBIG="))
    svc.store(named)
    entries = _entries(named)
    variables = dict(zip(entries.values(), named.values(), strict=True))
    refused = {v for v, value in variables.items() if not carriable(v, value)}
    svc.write_config(list(entries))
    before = svc.host_state("h1")
    code, output, _ = _deploy(svc, home)
    event(f"refused first: {bool(refused)}")
    event(f"{big_line}-byte line carried: {not any(v.endswith('BIG') for v in refused)}")
    if refused:
        assert code == 2, output
        secrets_named = {e.rpartition(":")[2] for e, v in entries.items() if v in refused}
        assert any(f"secret {s}" in output for s in secrets_named), output
        assert svc.host_state("h1") == before
        svc.write_config([e for e, v in entries.items() if v not in refused])
        code, output, _ = _deploy(svc, home)
    assert code == 0, output
    seen = svc.container_environ("h1")
    for variable, value in variables.items():
        if variable not in refused:
            assert seen.get(variable.encode()) == value.encode(), variable


def test_ci_deploys_with_only_kamalpy_identity_and_an_empty_home(
    svc: StoreService, home: Path
) -> None:
    token, replica = ("ci-" + secrets.token_hex(16)), ("replica-" + secrets.token_hex(16))
    svc.store({"CI_TOKEN": token, "REPLICA_TOKEN": replica})
    svc.write_config(["CI_TOKEN"], hosts=("h1", "h2"), tagged_secret_env=["TAGGED:REPLICA_TOKEN"])
    code, output, _ = _deploy(svc, home)
    assert code == 0, output
    on_tagged, on_plain = svc.container_environ("h1"), svc.container_environ("h2")
    assert on_tagged[b"CI_TOKEN"] == on_plain[b"CI_TOKEN"] == token.encode()
    assert on_tagged[b"TAGGED"] == replica.encode() and b"TAGGED" not in on_plain
    assert not (home / ".config" / "kamalpy").exists()
    path = ".kamal/apps/sdeploy/env/roles/web.env"
    listing = svc.ssh_out(
        "h1", f"stat -c '%a %U' {path}; stat -c '%a' .kamal/apps/sdeploy/env/roles"
    )
    assert listing == "600 root\n700\n"


def test_ci_reaches_hosts_with_the_ssh_key_from_the_store_and_no_key_file(
    svc: StoreService, home: Path, tmp_path: Path
) -> None:
    svc.store({"DEPLOY_SSH_KEY": Path(svc.bed.ssh_key).read_text(), "CI_TOKEN": "t"})
    svc.write_config(["CI_TOKEN"], hosts=("h1", "h2"))
    keyless = tmp_path / "ssh_config"  # the bed's client config without its IdentityFile lines
    lines = Path(svc.bed.ssh_config).read_text().splitlines(keepends=True)
    keyless.write_text("".join(line for line in lines if "IdentityFile" not in line))
    path = svc.root / "config" / "deploy.yml"
    config = yaml.safe_load(path.read_text())
    config["ssh"] = {"config": str(keyless), "keys_only": True, "key_data": ["DEPLOY_SSH_KEY"]}
    path.write_text(yaml.safe_dump(config))
    code, output, _ = _deploy(svc, home)
    assert code == 0, output
    assert svc.container_environ("h2")[b"CI_TOKEN"] == b"t"
    assert "BEGIN OPENSSH PRIVATE KEY" not in output
    config["ssh"].pop("key_data")
    path.write_text(yaml.safe_dump(config))
    code, output, _ = _deploy(svc, home)  # the same config without the key cannot get in
    assert code != 0 and "Permission denied" in output, output


def test_a_missing_secret_fails_before_any_host_is_touched(svc: StoreService, home: Path) -> None:
    svc.store({"PRESENT": "here"})
    svc.write_config(["PRESENT", "ABSENT_SECRET"], hosts=HOSTS)
    before = {host: svc.host_state(host) for host in HOSTS}
    code, output, _ = _deploy(svc, home)
    assert code == 2, output
    assert "secret ABSENT_SECRET (used by role web env.secret ABSENT_SECRET) has no value" in output
    assert "secrets/sdeploy/default.secrets, secrets/common/default.secrets (absent)" in output
    assert "Traceback" not in output
    assert {host: svc.host_state(host) for host in HOSTS} == before


def test_no_secret_value_in_any_cmdline_or_output_during_real_deploys(
    svc: StoreService, home: Path
) -> None:
    values = {f"LEAK{i}": f"leak{i}-{secrets.token_hex(24)}" for i in range(4)}
    svc.store(values)
    needles = [*values.values(), svc.bed.registry_password, svc.key]
    outputs = []
    with CmdlineSampler([n.encode() for n in needles]) as sampler:
        svc.write_config(["LEAK0", "APP_TOKEN:LEAK1", "LEAK2", "LEAK3"], hosts=HOSTS)
        code, output, _ = _deploy(svc, home)
        assert code == 0, output
        outputs.append(output)
        # An app that logs its secret, and fails its health check: the error shows its logs.
        echo = "sh -c 'echo \"app says token=$LEAK0\"; exec /app/start'"
        svc.write_config(["LEAK0", "LEAK1"], hosts=HOSTS, health_path="/nope", cmd=echo)
        code, output, _ = _deploy(svc, home)
        assert code == 1 and "did not become healthy" in output, output
        assert "app says token=[REDACTED]" in output, output
        outputs.append(output)
    assert sampler.hits == [], sampler.hits[:3]
    assert sampler.scans > 100 and any(b"--env-file" in c for c in sampler.cmdlines)
    assert all(svc.container_environ(h)[b"APP_TOKEN"] == values["LEAK1"].encode() for h in HOSTS)
    svc.store({"LEAK0": values["LEAK0"] + "\nsecond line"})
    outputs.append(_deploy(svc, home)[1])  # refused before deploying: the error names, never shows
    assert "secret LEAK0" in outputs[-1]
    for output in outputs:
        assert not [n for n in needles if n in output], output
