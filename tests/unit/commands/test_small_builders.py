from __future__ import annotations

import base64

import pytest

from kamalpy.commands import audit, health, hooks, lock


def test_lock_paths_and_details_are_base64_like_kamal() -> None:
    assert lock.lock_dir("hey", None) == ".kamal/lock-hey"
    assert lock.lock_dir("hey", "prod") == ".kamal/lock-hey-prod"
    text = lock.details_text(performer="ann", recorded_at="T", version="v1", message="m")
    argv = lock.acquire_argv("hey", None, text)
    assert argv[3:5] == ("kamalpy-lock", ".kamal/lock-hey")
    assert base64.b64decode(argv[5]).decode() == "Locked by: ann at T\nVersion: v1\nMessage: m"


@pytest.mark.parametrize(
    ("dest", "path"), [(None, ".kamal/hey-audit.log"), ("prod", ".kamal/hey-prod-audit.log")]
)
def test_audit_log_path(dest: str | None, path: str) -> None:
    assert audit.audit_log_path("hey", dest) == path


def test_audit_line_is_one_line_with_tags() -> None:
    line = audit.audit_line(
        "Deployed\nv2", recorded_at="2026-01-01T00:00:00Z", performer="ann", destination="prod"
    )
    assert line == "[2026-01-01T00:00:00Z] [ann] [prod] Deployed v2"


def test_hook_env_names_and_formats() -> None:
    env = hooks.hook_env(
        recorded_at="T",
        performer="ann",
        service="hey",
        version="abcdef123",
        hosts=["a", "b"],
        command="deploy",
        roles=["web"],
        runtime=3.4,
    )
    assert env == {
        "KAMAL_RECORDED_AT": "T", "KAMAL_PERFORMER": "ann", "KAMAL_SERVICE": "hey",
        "KAMAL_VERSION": "abcdef123", "KAMAL_SERVICE_VERSION": "hey@abcdef1",
        "KAMAL_HOSTS": "a,b", "KAMAL_COMMAND": "deploy", "KAMAL_ROLES": "web",
        "KAMAL_RUNTIME": "3",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("optional", "added"),
    [
        ({}, {}),
        ({"subcommand": "boot", "destination": "prod"},
         {"KAMAL_SUBCOMMAND": "boot", "KAMAL_DESTINATION": "prod"}),
        ({"roles": ["web", "jobs"], "runtime": 0.4},
         {"KAMAL_ROLES": "web,jobs", "KAMAL_RUNTIME": "0"}),
        ({"roles": [], "runtime": None, "lock": None}, {}),
        ({"lock": True}, {"KAMAL_LOCK": "true"}),
        ({"lock": False}, {"KAMAL_LOCK": "false"}),
    ],
)  # fmt: skip
def test_hook_env_sets_optional_variables_only_when_known(
    optional: dict[str, object], added: dict[str, str]
) -> None:
    base = {"recorded_at": "T", "performer": "ann", "service": "hey", "version": "v1",
            "hosts": ["a"], "command": "app"}  # fmt: skip
    env = hooks.hook_env(**base, **optional)  # type: ignore[arg-type]
    assert {k: v for k, v in env.items() if k not in _ALWAYS} == added


_ALWAYS = {"KAMAL_RECORDED_AT", "KAMAL_PERFORMER", "KAMAL_SERVICE", "KAMAL_VERSION",
           "KAMAL_SERVICE_VERSION", "KAMAL_HOSTS", "KAMAL_COMMAND"}  # fmt: skip


def test_http_get_gives_up_after_five_seconds_by_default() -> None:
    argv = health.http_get_argv("10.0.0.2", 80, "/up")
    assert argv[:4] == ("timeout", "5", "bash", "-c")
    assert argv[5:] == ("kamalpy-http", "10.0.0.2", "80", "/up")
    assert health.http_get_argv("a", 1, "/", timeout=9)[1] == "9"


def test_healthcheck_passes_values_positionally() -> None:
    argv = health.healthcheck_argv("hey-web-v2", 3000, "/up")
    assert argv[:4] == ("timeout", "5", "bash", "-c")
    assert argv[5:] == ("kamalpy-health", "hey-web-v2", "3000", "/up")


@pytest.mark.parametrize(
    ("raw", "status", "body"),
    [
        ('HTTP/1.0 200 OK\r\nA: b\r\n\r\n{"x": 1}', 200, '{"x": 1}'),
        ("HTTP/1.1 404 Not Found\r\n\r\n", 404, ""),
        ("", 0, ""),
        ("HTTP/1.1 204\r\n\r\n", 204, ""),  # the reason phrase is optional
        ("HTTP/1.1 200 OK\r\n\r\none\n\ntwo", 200, "one\n\ntwo"),  # the first blank line ends
        ("HTTP/1.1  200 OK\r\n\r\n", 0, ""),  # one space between fields, as HTTP writes them
        ("HTTP/1.1\r\nX: 200 y\r\nZ: z\r\n\r\n", 0, ""),  # only the first line has the status
    ],
)
def test_split_http_response(raw: str, status: int, body: str) -> None:
    assert health.split_http_response(raw) == (status, body)
