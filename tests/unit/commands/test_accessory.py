"""Accessory builders: Kamal's names, paths, label and `docker run` order, asserted whole."""

from __future__ import annotations

import subprocess

import pytest

from kamalpy.commands import accessory as cmd
from kamalpy.config.model import Accessory, AccessoryFile, Env, Registry, frozen_map


def db(**fields: object) -> Accessory:
    base: dict[str, object] = {
        "name": "db", "service": "shop-db", "image": "127.0.0.1:5001/app:v1", "hosts": ("h1",),
    }  # fmt: skip
    base.update(fields)
    return Accessory(**base)  # type: ignore[arg-type]


def test_names_and_paths_are_kamals() -> None:
    acc = db()
    assert cmd.container_name(acc) == "shop-db"
    assert cmd.env_file_path("shop", None, "db") == ".kamal/apps/shop/env/accessories/db.env"
    assert cmd.env_file_path("shop", "eu", "db") == ".kamal/apps/shop-eu/env/accessories/db.env"
    assert cmd.file_path(acc, AccessoryFile("config/my.cnf.erb", "/etc/my.cnf")) == (
        "shop-db/etc/my.cnf"
    )
    assert cmd.directory_path(acc, AccessoryFile("data", "/var/lib/data")) == "shop-db/data"
    assert cmd.directory_path(acc, AccessoryFile("/srv/db", "/var/lib/data")) == "/srv/db"


def test_run_argv_follows_kamals_order_with_home_marked_mount_sources() -> None:
    acc = db(
        port="127.0.0.1:6000:80", cmd=("sleep", "1"), options=("--memory", "64m"),
        labels=frozen_map({"tier": "data"}), volumes=("/tmp/shared:/shared",),
        files=(AccessoryFile("config/my.cnf", "/etc/my.cnf", options="ro"),),
        directories=(AccessoryFile("data", "/var/lib/data"),),
        env=Env(frozen_map({"MODE": "a b"})),
    )  # fmt: skip
    spec = cmd.AccessoryRun(acc, "h1", ".kamal/apps/shop/env/accessories/db.env",
                            clear_env=(("MODE", "a b"),))  # fmt: skip
    argv = cmd.run_argv(spec)
    assert argv[:4] == ("sh", "-c", argv[2], "kamalpy-accessory-boot")
    assert argv[4:] == (
        "--name", "shop-db", "--detach", "--restart", "unless-stopped", "--network", "kamal",
        "--log-opt", "max-size=10m", "--publish", "127.0.0.1:6000:80",
        "--env", "KAMAL_HOST=h1", "--env", "MODE=a b",
        "--env-file", ".kamal/apps/shop/env/accessories/db.env",
        "--volume", "/tmp/shared:/shared", "--volume", "~/shop-db/etc/my.cnf:/etc/my.cnf:ro",
        "--volume", "~/shop-db/data:/var/lib/data",
        "--label", "service=shop-db", "--label", "tier=data",
        "--memory", "64m", "127.0.0.1:5001/app:v1", "sleep", "1",
    )  # fmt: skip


def test_boot_script_expands_home_only_in_volume_sources() -> None:
    """Run the script with `docker` replaced by printf: only `--volume ~/x` gains $HOME."""
    script = cmd.run_argv(cmd.AccessoryRun(db(), "h1", "e.env"))[2]
    fake = script.replace("exec docker run", "printf '%s\\n'")
    args = ["--env", "X=~/keep", "--volume", "~/shop-db/data:/d", "--volume", "/abs:/a", "~/x"]
    out = subprocess.run(["sh", "-c", fake, "t", *args], env={"HOME": "/home/u"},
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert out.splitlines() == [
        "--env", "X=~/keep", "--volume", "/home/u/shop-db/data:/d", "--volume", "/abs:/a", "~/x",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("port", "flags"),
    [(None, ()), ("6379", ("--publish", "6379:6379")), ("1:2", ("--publish", "1:2"))],
)
def test_publish_bare_port_on_both_sides(port: str | None, flags: tuple[str, ...]) -> None:
    assert cmd.publish_args(port) == flags


def test_operations_find_the_container_by_label_or_name() -> None:
    acc = db(registry=Registry(server="ghcr.io"), image="team/db:1")
    assert cmd.ids_argv(acc) == (
        "docker", "ps", "--all", "--quiet", "--filter", "label=service=shop-db",
    )  # fmt: skip
    assert cmd.details_argv(acc) == ("docker", "ps", "--filter", "label=service=shop-db")
    assert cmd.pull_argv(acc) == ("docker", "image", "pull", "ghcr.io/team/db:1")
    assert cmd.remove_image_argv(acc) == ("docker", "image", "rm", "--force", "ghcr.io/team/db:1")
    assert cmd.remove_data_argv(acc) == ("rm", "-rf", "--", "shop-db")
    assert cmd.logs_argv(acc, lines=5) == (
        "docker", "logs", "--timestamps", "--tail", "5", "shop-db",
    )  # fmt: skip
    assert cmd.exec_argv(acc, ["env"]) == ("docker", "exec", "shop-db", "env")
    assert cmd.mkdir_argv("shop-db/logs") == ("mkdir", "-p", "--", "shop-db/logs")
    assert cmd.mkdir_argv("shop-db/logs", "0750")[-2:] == ("shop-db/logs", "0750")
