from __future__ import annotations

import pytest

from kamalpy.commands import app, app_scripts


def spec(**overrides: object) -> app.AppContainer:
    base: dict[str, object] = {
        "service": "hey",
        "role": "web",
        "destination": None,
        "version": "abc123",
        "image": "127.0.0.1:5000/hey:abc123",
        "host": "10.0.0.1",
    }
    base.update(overrides)
    return app.AppContainer(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("service", "role", "dest", "version", "name"),
    [
        ("hey", "web", None, "v1", "hey-web-v1"),
        ("hey", "workers", "staging", "v1", "hey-workers-staging-v1"),
        ("a_b", "web", "", "0123", "a_b-web-0123"),
    ],
)
def test_container_name_is_service_role_destination_version(
    service: str, role: str, dest: str | None, version: str, name: str
) -> None:
    assert app.container_name(service, role, dest, version) == name


@pytest.mark.parametrize(
    ("dest", "path"),
    [
        (None, ".kamal/apps/hey/env/roles/web.env"),
        ("staging", ".kamal/apps/hey-staging/env/roles/web.env"),
    ],
)
def test_env_file_path_matches_kamal(dest: str | None, path: str) -> None:
    assert app.env_file_path("hey", dest, "web") == path


def test_run_argv_minimal_is_exact() -> None:
    assert app.run_argv(spec()) == (
        "docker", "run", "--detach", "--restart", "unless-stopped",
        "--name", "hey-web-abc123", "--network", "kamal",
        "--env", "KAMAL_CONTAINER_NAME=hey-web-abc123",
        "--env", "KAMAL_VERSION=abc123",
        "--env", "KAMAL_HOST=10.0.0.1",
        "--env", "KAMAL_DESTINATION=",
        "--log-opt", "max-size=10m",
        "--label", "service=hey", "--label", "role=web", "--label", "destination=",
        "127.0.0.1:5000/hey:abc123",
    )  # fmt: skip


def test_run_argv_full_keeps_hostile_values_as_single_tokens() -> None:
    hostile = "a'b\"c $(touch /tmp/x) `id` \\n ünï"
    argv = app.run_argv(
        spec(
            destination="prod",
            env={"CLEAR": hostile},
            env_file=".kamal/apps/hey-prod/env/roles/web.env",
            labels={"team": hostile, "service": "spoofed"},
            volumes=("/data:/data",),
            options=("--memory", "1g", "--cap-add", "--add-host", "a:1.1.1.1"),
            logging=("--log-driver", "json-file", "--log-opt", "max-size=10m"),
            cmd=("bin/run", hostile),
            init=True,
        )
    )
    assert argv == (
        "docker", "run", "--detach", "--restart", "unless-stopped",
        "--name", "hey-web-prod-abc123", "--network", "kamal", "--init",
        "--env", "KAMAL_CONTAINER_NAME=hey-web-prod-abc123",
        "--env", "KAMAL_VERSION=abc123",
        "--env", "KAMAL_HOST=10.0.0.1",
        "--env", "KAMAL_DESTINATION=prod",
        "--env", f"CLEAR={hostile}",
        "--env-file", ".kamal/apps/hey-prod/env/roles/web.env",
        "--log-driver", "json-file", "--log-opt", "max-size=10m",
        "--volume", "/data:/data",
        "--label", f"team={hostile}", "--label", "service=hey",
        "--label", "role=web", "--label", "destination=prod",
        "--memory", "1g", "--cap-add", "--add-host", "a:1.1.1.1",
        "127.0.0.1:5000/hey:abc123", "bin/run", hostile,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "dest", "statuses", "expected"),
    [
        ("web", None, (), ("--filter", "label=service=hey", "--filter", "label=destination=",
                           "--filter", "label=role=web")),
        (None, "prod", ("running",), ("--filter", "label=service=hey",
                                      "--filter", "label=destination=prod",
                                      "--filter", "status=running")),
    ],
)  # fmt: skip
def test_filter_args_select_by_labels(
    role: str | None, dest: str | None, statuses: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert app.filter_args("hey", role, dest, statuses) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ("docker", "logs", "c")),
        ({"lines": 50}, ("docker", "logs", "--tail", "50", "c")),
        ({"lines": 5, "follow": True, "timestamps": True},
         ("docker", "logs", "--timestamps", "--tail", "5", "--follow", "c")),
    ],
)  # fmt: skip
def test_logs_argv(kwargs: dict[str, object], expected: tuple[str, ...]) -> None:
    assert app.logs_argv("c", **kwargs) == expected  # type: ignore[arg-type]


def test_stop_argv_with_and_without_timeout() -> None:
    assert app.stop_argv(["a", "b"], timeout=30) == ("docker", "stop", "-t", "30", "a", "b")
    assert app.stop_argv(["a"]) == ("docker", "stop", "a")


def test_prune_containers_passes_values_as_positional_parameters() -> None:
    argv = app_scripts.prune_containers_argv("hey", "web", None, 5)
    assert argv[:2] == ("sh", "-c")
    assert argv[3:] == ("kamalpy-prune", "hey", "", "web", "5")


def test_grep_output_passes_pattern_and_command_as_parameters_never_as_script() -> None:
    argv = app.grep_output_argv(("docker", "logs", "--follow", "web"), "$(rm -rf /) 'x'")
    assert argv == (
        "sh", "-c", '"$@" 2>&1 | grep --line-buffered -e "$0"',
        "$(rm -rf /) 'x'", "docker", "logs", "--follow", "web",
    )  # fmt: skip
