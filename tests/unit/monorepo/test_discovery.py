"""Discovery of services and the monorepo's [tool.kamalpy] settings."""

from __future__ import annotations

import pytest

from kamalpy.errors import ConfigError
from kamalpy.monorepo.discovery import check_unique, discover
from kamalpy.monorepo.settings import MonorepoSettings, monorepo_settings
from tests.unit.monorepo.fixtures import config, tree

REPO_FILES = {
    "services/api/deploy.yml": "",
    "services/api/deploy.staging.yml": "",
    "services/web/deploy.yml": "",
    "services/web/nested/deploy.yml": "",
    "services/odd/deploy.yml/not-a-config": "",
    "services/deploy.yml": "",
    "apps/admin/deploy.yml": "",
    "apps/admin/config/deploy.yml": "",
    "README.md": "",
}


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("services/*/deploy.yml", ("services/api/deploy.yml", "services/web/deploy.yml")),
        ("apps/*/config/deploy.yml", ("apps/admin/config/deploy.yml",)),
        (
            "**/deploy.yml",
            (
                "apps/admin/config/deploy.yml",
                "apps/admin/deploy.yml",
                "services/api/deploy.yml",
                "services/deploy.yml",
                "services/web/deploy.yml",
                "services/web/nested/deploy.yml",
            ),
        ),
        ("services/deploy.yml", ("services/deploy.yml",)),
        ("nowhere/*/deploy.yml", ()),
    ],
)
def test_discover_matches_whole_paths_sorted(glob: str, expected: tuple[str, ...]) -> None:
    assert discover(tree(REPO_FILES), MonorepoSettings(services=glob)) == expected


def test_duplicate_service_names_name_both_files() -> None:
    configs = [
        ("services/api/deploy.yml", config("api")),
        ("services/web/deploy.yml", config("web")),
        ("services/api2/deploy.yml", config("api", directory="services/api2")),
    ]
    with pytest.raises(ConfigError) as raised:
        check_unique(configs)
    assert raised.value.render() == (
        "services/api2/deploy.yml: service: service 'api' is already declared by "
        "services/api/deploy.yml\n  hint: each service needs its own `service:` name"
    )
    check_unique(configs[:2])


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        (None, MonorepoSettings()),
        ('[project]\nname = "mono"\n', MonorepoSettings()),
        (
            '[tool.kamalpy]\nservices = "apps/*/deploy.yml"\nglobal_inputs = ["uv.lock"]\n',
            MonorepoSettings(services="apps/*/deploy.yml", global_inputs=("uv.lock",)),
        ),
    ],
)
def test_settings_from_the_root_pyproject(
    pyproject: str | None, expected: MonorepoSettings
) -> None:
    files = {"pyproject.toml": pyproject} if pyproject is not None else {"a": ""}
    assert monorepo_settings(tree(files)) == expected


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (
            "[tool.kamalpy]\nglobal-inputs = []\n",
            "pyproject.toml: tool.kamalpy.global-inputs: unknown key "
            "(known: services, global_inputs)",
        ),
        (
            "[tool.kamalpy]\nservices = 3\n",
            "pyproject.toml: tool.kamalpy.services: should be a glob such as "
            "'services/*/deploy.yml'",
        ),
        (
            '[tool.kamalpy]\nglobal_inputs = "uv.lock"\n',
            "pyproject.toml: tool.kamalpy.global_inputs: should be a list of globs (strings)",
        ),
        (
            "[tool.kamalpy\n",
            "pyproject.toml: invalid TOML: Expected ']' at the end of a table declaration "
            "(at line 1, column 14)",
        ),
    ],
)
def test_bad_settings_name_pyproject_and_key(pyproject: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        monorepo_settings(tree({"pyproject.toml": pyproject}))
    assert raised.value.render() == message
