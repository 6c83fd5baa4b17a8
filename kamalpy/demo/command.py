"""The `kamalpy demo` command: deploy the example monorepo here, then show change detection."""

from __future__ import annotations

import argparse
import http.client
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.demo import run
from kamalpy.demo.remove import remove_demo
from kamalpy.demo.workspace import (
    SHARED_FILE,
    Workspace,
    change_shared_library,
    copy_example,
    default_root,
    find_example,
)
from kamalpy.deploy.context import Output
from kamalpy.errors import ExitCode, UsageError
from kamalpy.executor.base import LOCAL, Executor
from kamalpy.executor.routing import RoutingExecutor

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

SERVICES = ("web", "api", "worker")
# What each proxied service's page says, before and after the demo's change to libs/common.
PAGES = {"web": "hello from web", "api": "from api"}


def register(subparsers: Subparsers) -> None:
    """Add `demo [--remove] [--dir DIR] [--example DIR]`."""
    p = subparsers.add_parser(
        "demo",
        help="deploy the example monorepo to this machine, then show change detection",
        description="Deploy the example monorepo (web, api, worker) to this machine's Docker "
        "engine with `kamalpy deploy -d local`, through Traefik on 127.0.0.1:47080; then "
        "change libs/common in a scratch copy and deploy again: only its dependents redeploy.",
    )
    p.add_argument("--remove", action="store_true", help="remove everything the demo made")
    p.add_argument(
        "--dir",
        type=Path,
        help="where the demo keeps its files (default $XDG_DATA_HOME/kamalpy-demo, "
        "else ~/.local/share/kamalpy-demo)",
    )
    p.add_argument("--example", type=Path, help="the kamalpy checkout (default: found from here)")
    p.set_defaults(handler=handle_demo)


def handle_demo(args: argparse.Namespace, console: Output, environ: Mapping[str, str]) -> int:
    """Run the demo (or remove it)."""
    ws = Workspace(args.dir or default_root(dict(environ), Path.home()))

    def show(host: str, argv: tuple[str, ...]) -> None:
        console.detail(f"  {host}$ {shlex.join(argv)}")

    with RoutingExecutor(on_command=show, host_home=str(ws.home)) as executor:
        run.check_engine(executor)
        if args.remove:
            removed = remove_demo(executor, ws)
            console.result("removed: " + ("; ".join(removed) if removed else "nothing was left"))
            return ExitCode.OK
        example = (args.example or find_example(Path.cwd())).resolve()
        return _demo(executor, ws, console, environ, example, explicit=args.dir is not None)


def _demo(executor: Executor, ws: Workspace, console: Output, environ: Mapping[str, str],
          example: Path, *, explicit: bool) -> int:  # fmt: skip
    fresh = not ws.repo.exists()
    if fresh:
        _make_copy(executor, ws, example, console)
    plan = run.web_plan(ws, environ)
    try:
        run.check_proxy_slot(executor, ws, plan)
    except UsageError:
        if fresh:  # refused before changing anything: leave no directory behind either
            shutil.rmtree(ws.root)
        raise
    if run.ensure_proxy_image(executor, ws, plan.proxy.image):
        console.info(f"built the proxy image {plan.proxy.image} (Traefik, FROM scratch)")
    base = run.python_base(executor, ws, environ, console.info)
    env = {"HOME": str(ws.home), "KAMALPY_IDENTITY_FILE": str(ws.identity),
           "KAMALPY_PYTHON_BASE": base}  # fmt: skip
    ws.home.mkdir(parents=True, exist_ok=True)
    _boot_accessory(executor, ws, env, base, console)
    console.info(f"== kamalpy deploy -d local   (in {ws.repo}; base image {base})")
    run.run_shown(executor, run.in_repo(ws, env, *run.kamalpy_argv("deploy", "-d", "local")),
                  "kamalpy deploy")  # fmt: skip
    port = plan.proxy.http_port
    _show_pages(console, port)
    for service in SERVICES:
        run.run_shown(executor, run.in_repo(ws, env, *run.kamalpy_argv(
            "details", "-s", service, "-d", "local")), "kamalpy details")  # fmt: skip
    if change_shared_library(ws.repo):
        _change_and_redeploy(executor, ws, env, console, port)
    remove = "kamalpy demo --remove" + (f" --dir {shlex.quote(str(ws.root))}" if explicit else "")
    if environ.get("NOX_CURRENT_SESSION") == "demo":  # started by `nox -s demo`
        remove = f"nox -s demo -- {remove.removeprefix('kamalpy demo ')}"
    console.result(f"remove it with: {remove}")
    return ExitCode.OK


def _make_copy(executor: Executor, ws: Workspace, example: Path, console: Output) -> None:
    """A git repository of its own holding the example's tracked files, one commit."""
    listed = executor.run(LOCAL, ("git", "-C", str(example), "ls-files", "-z"))
    ws.repo.mkdir(parents=True)
    count = copy_example(example, listed.stdout.split("\0"), ws.repo)
    ws.identity.chmod(0o600)  # git keeps no private modes; kamalpy refuses a readable key
    for argv in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-q", "-m", "example")):
        executor.run(LOCAL, run.git_argv("-C", str(ws.repo), *argv))
    console.info(f"copied the example monorepo ({count} files) from {example} to {ws.repo}")


def _boot_accessory(executor: Executor, ws: Workspace, env: Mapping[str, str], base: str,
                    console: Output) -> None:  # fmt: skip
    """The redis accessory api and worker count in (they cope without it, saying so)."""
    image = "kamalpy-example/redis:7"
    if not run.has_image(executor, image):
        console.info(f"== building {image} (Debian's redis-server on {base})")
        run.run_shown(executor, ("docker", "build", "-q", "--build-arg", f"BASE={base}", "-t",
                                 image, str(ws.repo / "accessories" / "redis")),
                      "the redis image build")  # fmt: skip
    boot = run.kamalpy_argv("accessory", "boot", "redis", "-s", "api", "-d", "local")
    if executor.attach(LOCAL, run.in_repo(ws, env, *boot)) != 0:
        console.warn("the redis accessory did not boot: api and worker run without it")


def _show_pages(console: Output, port: int) -> None:
    for service, expected in PAGES.items():
        host = f"{service}.localhost"
        body = run.expect_page(port, host, expected, fetch)
        console.result(f"http://{host}:{port}/  ->  {' | '.join(body.strip().splitlines())}")


def _change_and_redeploy(executor: Executor, ws: Workspace, env: Mapping[str, str],
                         console: Output, port: int) -> None:  # fmt: skip
    """Commit the demo's change to libs/common and deploy: its plan names only the dependents."""
    executor.run(LOCAL, run.git_argv("-C", str(ws.repo), "commit", "-q", "-am",
                                     "demo: change the shared library"))  # fmt: skip
    console.info(f"== changed {SHARED_FILE} in the scratch copy (hello -> hello again)")
    console.info("== kamalpy deploy -d local   (the plan: only the services that use libs/common)")
    run.run_shown(executor, run.in_repo(ws, env, *run.kamalpy_argv("deploy", "-d", "local")),
                  "kamalpy deploy")  # fmt: skip
    run.expect_page(port, "api.localhost", "hello again from api", fetch)
    _show_pages(console, port)


def fetch(port: int, host: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET / through the proxy on 127.0.0.1:port for `host`; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()
