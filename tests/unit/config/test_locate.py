from __future__ import annotations

from pathlib import Path

import pytest

from kamalpy.config.locate import find_repo_root, list_services, locate_config
from kamalpy.errors import UsageError


def _service(root: Path, name: str) -> Path:
    path = root / "services" / name / "deploy.yml"
    path.parent.mkdir(parents=True)
    path.write_text("service: x\n")
    return path


def test_config_file_option_wins(tmp_path: Path) -> None:
    (tmp_path / "other.yml").write_text("")
    _service(tmp_path, "api")
    assert locate_config(config_file="other.yml", service="api", cwd=tmp_path) == Path("other.yml")


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.yml: no such configuration file"):
        locate_config(config_file="nope.yml", service=None, cwd=tmp_path)


def test_service_is_found_from_a_subdirectory_of_the_repo(tmp_path: Path) -> None:
    _service(tmp_path, "api")
    _service(tmp_path, "web")
    (tmp_path / "docs").mkdir()
    found = locate_config(config_file=None, service="web", cwd=tmp_path / "docs")
    assert found == (tmp_path / "services" / "web" / "deploy.yml").resolve()


def test_unknown_service_lists_the_known_ones(tmp_path: Path) -> None:
    _service(tmp_path, "api")
    with pytest.raises(UsageError, match=r"no service 'web'.*services: api"):
        locate_config(config_file=None, service="web", cwd=tmp_path)


def test_kamal_layout_is_used_without_a_service(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text("")
    assert locate_config(config_file=None, service=None, cwd=tmp_path) == Path("config/deploy.yml")


def test_the_only_service_is_picked(tmp_path: Path) -> None:
    _service(tmp_path, "api")
    assert locate_config(config_file=None, service=None, cwd=tmp_path) == Path(
        "services/api/deploy.yml"
    )


def test_the_service_you_are_in_is_picked(tmp_path: Path) -> None:
    _service(tmp_path, "api")
    web = _service(tmp_path, "web")
    assert locate_config(config_file=None, service=None, cwd=web.parent) == Path("deploy.yml")


def test_several_services_need_a_choice(tmp_path: Path) -> None:
    _service(tmp_path, "api")
    _service(tmp_path, "web")
    with pytest.raises(UsageError, match=r"several services, pick one with -s NAME: api, web"):
        locate_config(config_file=None, service=None, cwd=tmp_path)


def test_nothing_found_explains_the_layouts(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    with pytest.raises(UsageError, match=r"expected services/<name>/deploy\.yml"):
        locate_config(config_file=None, service=None, cwd=tmp_path)


def test_repo_root_and_service_listing(tmp_path: Path) -> None:
    _service(tmp_path, "b")
    _service(tmp_path, "a")
    (tmp_path / "services" / "not-a-service").mkdir()
    deep = tmp_path / "services" / "a" / "src"
    deep.mkdir()
    assert find_repo_root(deep) == tmp_path.resolve()
    assert list_services(tmp_path) == ("a", "b")
