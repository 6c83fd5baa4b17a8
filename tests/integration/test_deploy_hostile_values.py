"""Acceptance: hostile env values, labels and commands reach the container byte-exact."""

from __future__ import annotations

import itertools
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.deploy_support import (
    HOSTS,
    Service,
    deploy_yml,
    service_fixture,
)
from tests.testbed import images

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "'",
            '"',
            "$(touch /tmp/pwned)",
            "`id`",
            "a\nb",
            "\\",
            "$HOME",
            "ü ✓ 🚀",
            "; rm -rf /",
            "|| true",
            " leading and trailing ",
        ]
    ),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=40,
    ),
).filter(lambda s: "<%" not in s and "%>" not in s)
COUNTER = itertools.count()


svc = service_fixture("hostile", (), workers=False)


def _write(svc: Service, value: str, label: str, arg: str) -> None:
    extra = yaml.safe_dump({"labels": {"team": label}}, allow_unicode=False)
    text = deploy_yml(svc.bed, svc.name, workers=False, extra=extra)
    config = yaml.safe_load(text)
    config["env"]["clear"]["HOSTILE"] = value
    config["servers"]["web"] = {"hosts": list(HOSTS[:1]), "cmd": f"/app/start {_shell_quote(arg)}"}
    (svc.root / "config" / "deploy.yml").write_text(yaml.safe_dump(config, allow_unicode=False))


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=HOSTILE, label=HOSTILE, arg=HOSTILE)
def test_hostile_values_reach_the_container_byte_exact(
    svc: Service, value: str, label: str, arg: str
) -> None:
    version = f"env-{next(COUNTER)}"
    images.publish(
        svc.bed, images.build_app("env", svc.name), f"{svc.bed.registry}/{svc.name}:{version}"
    )
    _write(svc, value, label, arg)
    result = svc.kamalpy("deploy", "--skip-push", "--version", version)
    assert result.returncode == 0, result.stdout + result.stderr
    status, body = svc.get("h1", "/env")
    assert status == 200
    environ = dict(item.split("=", 1) for item in body.split("\0") if "=" in item)
    assert environ["HOSTILE"] == value
    inspect = json.loads(svc.ssh("h1", f"docker inspect {svc.name}-web-{version}"))[0]
    assert inspect["Config"]["Labels"]["team"] == label
    assert inspect["Config"]["Cmd"] == ["/app/start", arg]
    assert svc.ssh("h1", "ls /tmp/pwned 2>/dev/null; true") == ""
