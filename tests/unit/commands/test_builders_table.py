"""The one-line builders that deploy, app, proxy and image flows call, each argv asserted whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kamalpy.commands import (
    accessory,
    app,
    app_scripts,
    audit,
    boot_script,
    docker_build,
    drain,
    erb,
    lock,
    proxy,
    proxy_certs,
    proxy_claims,
    setup,
)
from kamalpy.config.model import AccessoryFile
from tests.unit.commands.test_accessory import db
from tests.unit.commands.test_app import spec

Argv = tuple[str, ...]
RUN = ("docker", "run")
PS_FILTERS = ("--filter", "label=service=hey", "--filter", "label=destination=prod")
STATE = (
    "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"
    " {{.State.ExitCode}}"
)


def _without_script(argv: Argv) -> Argv:
    """An `sh -c SCRIPT ...` argv without its script (run for real in test_host_scripts_*)."""
    return argv[:2] + argv[3:]


# id -> (the call, the argv it must build).
TABLE: dict[str, tuple[Callable[[], Argv], Argv]] = {
    "app.containers": (lambda: app.containers_argv("hey", "web", "prod"),
                       ("docker", "ps", "--all", *PS_FILTERS, "--filter", "label=role=web")),
    "app.containers any role": (lambda: app.containers_argv("hey", None, None),
                                ("docker", "ps", "--all", "--filter", "label=service=hey",
                                 "--filter", "label=destination=")),
    "app.details": (lambda: app.details_argv("hey", "web", "prod"),
                    ("docker", "ps", *PS_FILTERS, "--filter", "label=role=web")),
    "app.exec": (lambda: app.exec_argv("hey-web-v1", ["env", "-0"]),
                 ("docker", "exec", "hey-web-v1", "env", "-0")),
    "app.exec interactive": (lambda: app.exec_argv("hey-web-v1", ["sh"], interactive=True),
                             ("docker", "exec", "--interactive", "--tty", "hey-web-v1", "sh")),
    "app.health_log": (lambda: app.health_log_argv("hey-web-v1"),
                       ("docker", "inspect", "--format", "{{json .State.Health}}", "hey-web-v1")),
    "app.images": (lambda: app.images_argv("r/hey"), ("docker", "image", "ls", "r/hey")),
    "app.ps_names": (lambda: app.ps_names_argv("hey", "web", "prod"),
                     ("docker", "ps", "--all", *PS_FILTERS, "--filter", "label=role=web",
                      "--format", "{{.Names}}")),
    "app.ps_names running": (lambda: app.ps_names_argv("hey", None, "prod", running_only=True),
                             ("docker", "ps", "--all", *PS_FILTERS, "--filter", "status=running",
                              "--filter", "status=restarting", "--format", "{{.Names}}")),
    "app.remove": (lambda: app.remove_argv(["a", "b"]), ("docker", "rm", "--force", "a", "b")),
    "app.run_once": (lambda: app.run_once_argv(spec(env={"A": "1"}), ["rake", "db"]),
                     ("docker", "run", "--rm", "--network", "kamal",
                      "--env", "KAMAL_CONTAINER_NAME=hey-web-abc123", "--env",
                      "KAMAL_VERSION=abc123", "--env", "KAMAL_HOST=10.0.0.1", "--env",
                      "KAMAL_DESTINATION=", "--env", "A=1", "127.0.0.1:5000/hey:abc123",
                      "rake", "db")),
    "app.run_once interactive": (lambda: app.run_once_argv(spec(env_file="e"), ["sh"],
                                                           interactive=True)[:6],
                                 ("docker", "run", "--rm", "--interactive", "--tty", "--network")),
    "app.run_once env file": (lambda: app.run_once_argv(spec(env_file="e.env"), ["sh"])[-4:],
                              ("--env-file", "e.env", "127.0.0.1:5000/hey:abc123", "sh")),
    "app.start": (lambda: app.start_argv("hey-web-v1"), ("docker", "start", "hey-web-v1")),
    "app.state": (lambda: app.state_argv("hey-web-v1"),
                  ("docker", "inspect", "--format", STATE, "hey-web-v1")),
    "app_scripts.prune_images": (lambda: app_scripts.prune_images_argv("hey"),
                                 ("docker", "image", "prune", "--force", "--all", "--filter",
                                  "label=service=hey")),
    "audit.reveal": (lambda: audit.reveal_argv("hey", "prod"),
                     ("tail", "-n", "50", ".kamal/hey-prod-audit.log")),
    "audit.reveal lines": (lambda: audit.reveal_argv("hey", None, 7),
                           ("tail", "-n", "7", ".kamal/hey-audit.log")),
    "accessory.chown": (lambda: accessory.chown_argv("shop-db/data", "999:999"),
                        ("chown", "--", "999:999", "shop-db/data")),
    "accessory.force_remove": (lambda: accessory.force_remove_argv(db()),
                               ("docker", "rm", "--force", "shop-db")),
    "accessory.remove_container": (lambda: accessory.remove_container_argv(db()),
                                   ("docker", "container", "prune", "--force", "--filter",
                                    "label=service=shop-db")),
    "accessory.remove_env_file": (lambda: accessory.remove_env_file_argv("shop", "eu", "db"),
                                  ("rm", "-f", "--", ".kamal/apps/shop-eu/env/accessories/db.env")),
    "accessory.start": (lambda: accessory.start_argv(db()),
                        ("docker", "container", "start", "shop-db")),
    "accessory.stop": (lambda: accessory.stop_argv(db()),
                       ("docker", "container", "stop", "shop-db")),
    "docker_build.all_image_ids": (docker_build.all_image_ids_argv,
                                   ("docker", "image", "ls", "--all", "--quiet", "--no-trunc")),
    "docker_build.buildx_probe": (docker_build.buildx_probe_argv, ("docker", "buildx", "version")),
    "docker_build.cat": (lambda: docker_build.cat_argv("/tmp/i.tar"), ("cat", "/tmp/i.tar")),
    "docker_build.image_layers": (lambda: docker_build.image_layers_argv("a:1", "b:2"),
                                  ("docker", "image", "inspect", "--format",
                                   "{{json .RootFS.Layers}}", "a:1", "b:2")),
    "docker_build.save_to_file": (lambda: docker_build.save_to_file_argv("/t/i.tar", "a:1"),
                                  ("docker", "save", "--output", "/t/i.tar", "a:1")),
    "proxy.api": (lambda: proxy.api_argv(8089, "http/routers")[-3:],
                  ("127.0.0.1", "8089", "/api/http/routers")),
    "proxy.exists": (proxy.exists_argv,
                     ("docker", "inspect", "--format", "{{.State.Status}}", "kamal-proxy")),
    "proxy.logs": (proxy.logs_argv, ("docker", "logs", "--tail", "100", "kamal-proxy")),
    "proxy.logs lines": (lambda: proxy.logs_argv(5), ("docker", "logs", "--tail", "5",
                                                      "kamal-proxy")),
    "proxy.mkdir": (proxy.mkdir_argv, ("mkdir", "-p", ".kamal/proxy/dynamic", ".kamal/proxy/acme")),
    "proxy.read_config": (lambda: proxy.read_config_argv("d/x.yml"), ("cat", "--", "d/x.yml")),
    "proxy.remove": (proxy.remove_argv, ("docker", "rm", "--force", "kamal-proxy")),
    "proxy.remove_config": (lambda: proxy.remove_config_argv("d/x.yml"),
                            ("rm", "-f", "--", "d/x.yml")),
    "proxy.start": (proxy.start_argv, ("docker", "start", "kamal-proxy")),
    "proxy.stop": (proxy.stop_argv, ("docker", "stop", "kamal-proxy")),
    # The $0 of a script names it in the shell's own error lines, so it is asserted too.
    "audit.record": (lambda: audit.record_argv("hey", "prod", "[T] deploy"),
                     ("sh", "-c", 'mkdir -p .kamal && printf "%s\\n" "$2" >> "$1"',
                      "kamalpy-audit", ".kamal/hey-prod-audit.log", "[T] deploy")),
    "accessory.mkdir mode": (lambda: accessory.mkdir_argv("d/x", "0700"),
                             ("sh", "-c", 'mkdir -p -- "$1" && chmod "$2" -- "$1"',
                              "kamalpy-mkdir", "d/x", "0700")),
    "accessory.logs follow": (lambda: accessory.logs_argv(db(), follow=True),
                              ("docker", "logs", "--timestamps", "--follow", "shop-db")),
    "accessory.exec interactive": (lambda: accessory.exec_argv(db(), ["psql"], interactive=True),
                                   ("docker", "exec", "--interactive", "--tty", "shop-db",
                                    "psql")),
    "lock.takeover": (lambda: _without_script(lock.takeover_argv("hey", "prod", "d", "OLD")),
                      ("sh", "-c", "kamalpy-lock", ".kamal/lock-hey-prod", "ZA==", "OLD")),
    "lock.heartbeat": (lambda: lock.heartbeat_argv("hey", "prod", "d"),
                       ("sh", "-c",
                        '[ "$(cat "$1/details" 2>/dev/null)" = "$2" ] && touch "$1/heartbeat"',
                        "kamalpy-lock", ".kamal/lock-hey-prod", "ZA==")),
    # The scripts' positional arguments ($0 first), for the scripts run in test_host_scripts_*.
    "app_scripts.running_others": (
        lambda: _without_script(app_scripts.running_others_argv("hey", "web", None, "hey-web-v2")),
        ("sh", "-c", "kamalpy-others", "hey", "", "web", "hey-web-v2")),
    "app_scripts.stop_others": (
        lambda: _without_script(app_scripts.stop_others_argv("hey", "web", None, "n", 5)),
        ("sh", "-c", "kamalpy-stop-old", "hey", "", "web", "n")),
    "app_scripts.retire": (
        lambda: _without_script(app_scripts.retire_argv("hey", "web", "prod", "n", None, 3)),
        ("sh", "-c", "kamalpy-retire", "hey", "prod", "web", "n", "3")),
    "boot_script.boot replace": (
        lambda: _without_script(boot_script.boot_argv(boot_script.Boot("n", RUN, False))),
        ("bash", "-c", "kamalpy-boot", "n", "replace", "", "", "0", "0", "", "0", "0",
         "docker", "run")),
    "boot_script.boot start": (
        lambda: _without_script(boot_script.boot_argv(boot_script.Boot("n", RUN, True))),
        ("bash", "-c", "kamalpy-boot", "n", "start", "", "", "0", "0", "", "0", "0",
         "docker", "run")),
    "boot_script.boot everything": (
        lambda: _without_script(boot_script.boot_argv(
            boot_script.Boot("n", RUN, False, boot_script.Readiness(7, 30.5), ("retire", "x")),
            env_file="e/w.env", retag=boot_script.Retag("r/i:d", ("r/i:v3", "i:v3")),
            audit=("audit",))),
        ("bash", "-c", "kamalpy-boot", "n", "replace", "e/w.env", "r/i:d", "2", "r/i:v3",
         "i:v3", "7000", "30500", "10000", "5", "2", "retire", "x", "1", "audit",
         "docker", "run")),
    "boot_script.boot resume": (
        lambda: _without_script(boot_script.boot_argv(
            boot_script.Boot("n", RUN, False, boot_script.Readiness(7, 30), ("retire",)),
            resume=True, ready=boot_script.Readiness(0, 12.25))),
        ("bash", "-c", "kamalpy-boot", "n", "resume", "", "", "0", "0", "12250", "10000",
         "2", "1", "retire", "docker", "run")),
    "boot_script.boot retire only once ready": (
        lambda: _without_script(boot_script.boot_argv(
            boot_script.Boot("n", RUN, False, None, ("retire",)), audit=("audit",))),
        ("bash", "-c", "kamalpy-boot", "n", "replace", "", "", "0", "0", "", "0", "0",
         "docker", "run")),
    "boot_script.then": (
        lambda: _without_script(boot_script.then_argv([("a", "b"), ("c",)])),
        ("bash", "-c", "kamalpy-then", "5", "2", "a", "b", "1", "c")),
    "drain.in_flight": (lambda: _without_script(drain.in_flight_argv(["a", "b"], 80)),
                        ("bash", "-c", "kamalpy-drain", "80", "a", "b")),
    "drain.in_flight_old": (
        lambda: _without_script(drain.in_flight_old_argv("hey", "web", None, "n", 80)),
        ("bash", "-c", "kamalpy-drain", "80", "hey", "", "web", "n")),
    "accessory.volume_args": (
        lambda: accessory.volume_args(db(
            files=(AccessoryFile("x", "/Xconf"),),
            directories=(AccessoryFile("/srv/db", "/data"), AccessoryFile("Xlogs/", "/logs")),
        )),
        ("--volume", "~/shop-db/Xconf:/Xconf", "--volume", "/srv/db:/data",
         "--volume", "~/shop-db/Xlogs:/logs")),
    "lock.release": (lambda: _without_script(lock.release_argv("hey", "prod")),
                     ("sh", "-c", "kamalpy-lock", ".kamal/lock-hey-prod")),
    "lock.release_own": (lambda: _without_script(lock.release_own_argv("hey", None, "d")),
                         ("sh", "-c", "kamalpy-lock", ".kamal/lock-hey", "ZA==")),
    "lock.status": (lambda: _without_script(lock.status_argv("hey", "prod")),
                    ("sh", "-c", "kamalpy-lock", ".kamal/lock-hey-prod")),
    "lock.inspect": (lambda: _without_script(lock.inspect_argv("hey", "prod")),
                     ("sh", "-c", "kamalpy-lock", ".kamal/lock-hey-prod")),
    "setup.probe": (lambda: _without_script(setup.probe_argv([80, 443])),
                    ("sh", "-c", "kamalpy-setup-probe", "80", "443")),
    "proxy_claims.read_routes": (lambda: _without_script(proxy_claims.read_routes_argv()),
                                 ("sh", "-c", "kamalpy-routes", ".kamal/proxy/dynamic",
                                  "#@kamalpy-route-file ")),
    "erb.erb_command": (lambda: _without_script(erb.erb_command_argv("date", Path("/r"))),
                        ("/bin/sh", "-c", "kamalpy-erb", "/r", "date")),
    "proxy_certs.cert_files": (lambda: tuple(vars(proxy_certs.cert_files("hey-web")).values()),
                               (".kamal/proxy/dynamic/certs/hey-web.crt",
                                ".kamal/proxy/dynamic/certs/hey-web.key",
                                "/etc/traefik/dynamic/certs/hey-web.crt",
                                "/etc/traefik/dynamic/certs/hey-web.key")),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TABLE))
def test_builder_makes_exactly_this_argv(name: str) -> None:
    build, expected = TABLE[name]
    assert build() == expected


@pytest.mark.parametrize(
    ("options", "args"),
    [
        ({}, ()),
        ({"cpus": 2}, ("--cpus", "2")),
        ({"privileged": True, "init": None}, ("--privileged", "--init")),
        ({"tty": False, "memory": "1g"}, ("--memory", "1g")),
        ({"cap-add": ["NET_ADMIN", "SYS_TIME"]},
         ("--cap-add", "NET_ADMIN", "--cap-add", "SYS_TIME")),
        ({"device": ("/dev/a",), "ulimit": "nofile=1024"},
         ("--device", "/dev/a", "--ulimit", "nofile=1024")),
    ],
)  # fmt: skip
def test_options_mapping_becomes_docker_flags(options: dict[str, object], args: Argv) -> None:
    assert app.option_args(options) == args


@pytest.mark.parametrize(
    ("ours", "theirs", "shared"),
    [
        (["a", "b", "c"], [], 0),
        (["a", "b", "c"], [["a", "b", "x"], ["a"]], 2),
        (["a", "b", "c"], [["x", "b", "c"]], 0),  # same layers out of place do not count
        (["a", "b"], [["a", "b", "c", "d"]], 2),
        (["a", "b", "c"], [["a"], ["a", "b", "c"], ["a", "b"]], 3),  # the best, not the last
    ],
)
def test_shared_leading_layers_counts_the_longest_common_prefix(
    ours: list[str], theirs: list[list[str]], shared: int
) -> None:
    assert docker_build.shared_leading_layers(ours, theirs) == shared


def test_route_servers_reads_back_the_backends_a_route_file_names() -> None:
    route = proxy.Route("hey-web", ("hey.test",), (), "hey-web-v2", 3000, ssl=False)
    content = proxy.render_dynamic_config(route, version="v2")
    assert proxy.route_servers(content) == ("http://hey-web-v2:3000",)


@pytest.mark.parametrize(
    "content",
    [b"", b"http: [unclosed", b"http: {}", b"http:\n  services: {a: {loadBalancer: {}}}\n",
     b"- a list\n", b"\xff\xfe"],
)  # fmt: skip
def test_route_servers_of_anything_else_is_none(content: bytes) -> None:
    assert proxy.route_servers(content) == ()


def test_route_servers_skips_a_service_without_servers() -> None:
    content = (
        b"http:\n  services:\n    a: {loadBalancer: {servers: null}}\n"
        b"    b: {loadBalancer: {servers: [{url: u1}, {url: u2}]}}\n"
    )
    assert proxy.route_servers(content) == ("u1", "u2")
