"""The `kamalpy demo` command: deploy the embedded service here, v1 then v2 under traffic."""

from __future__ import annotations

import argparse
import getpass
import shlex
import shutil
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.config.model import Configuration
from kamalpy.demo import run
from kamalpy.demo.remove import remove_demo
from kamalpy.demo.traffic import Tally, TrafficLoop, fetch
from kamalpy.demo.workspace import Workspace, default_root, write_repo
from kamalpy.deploy.context import Context, Output
from kamalpy.errors import ExitCode, LockHeldError, UsageError
from kamalpy.executor.routing import RoutingExecutor
from kamalpy.plan import deploy_plan

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

VERSIONS = ("v1", "v2")
STALE_LOCK_HINT = "if no other demo runs, an earlier one was interrupted: `kamalpy demo --remove`"


def register(subparsers: Subparsers) -> None:
    """Add `demo [--remove] [--dir DIR]`."""
    p = subparsers.add_parser(
        "demo",
        help="deploy an example service to this machine (v1, then v2 with zero downtime)",
        description="Deploy an embedded example service to this machine through Traefik on "
        "127.0.0.1: v1, then v2 while a client counts failed requests. Needs Docker.",
    )
    p.add_argument("--remove", action="store_true", help="remove everything the demo made")
    p.add_argument(
        "--dir",
        type=Path,
        help="where the demo keeps its files (default $XDG_DATA_HOME/kamalpy-demo, "
        "else ~/.local/share/kamalpy-demo)",
    )
    p.set_defaults(handler=handle_demo)


def handle_demo(args: argparse.Namespace, console: Output, environ: Mapping[str, str]) -> int:
    """Run the demo (or remove it)."""
    ws = Workspace(args.dir or default_root(dict(environ), Path.home()))

    def show(host: str, argv: tuple[str, ...]) -> None:
        console.detail(f"  {host}$ {shlex.join(argv)}")

    with RoutingExecutor(on_command=show, host_home=str(ws.home)) as executor:
        run.check_engine(executor)
        if args.remove:
            config = run.load(ws, environ, "v1") if ws.config_path.exists() else None
            image = deploy_plan(config).proxy.image if config else "kamalpy-demo/traefik:local"
            removed = remove_demo(executor, ws, image)
            console.result("removed: " + ("; ".join(removed) if removed else "nothing was left"))
            return ExitCode.OK
        return _deploy_both(executor, ws, console, environ, explicit=args.dir is not None)


def _deploy_both(
    executor: RoutingExecutor,
    ws: Workspace,
    console: Output,
    environ: Mapping[str, str],
    explicit: bool,
) -> int:
    """Deploy v1, then v2 under client traffic; report the counts and how to remove it."""
    created = not ws.root.exists()
    write_repo(ws)
    first = run.load(ws, environ, VERSIONS[0])
    plan = deploy_plan(first)
    try:
        run.check_proxy_slot(executor, ws, plan)
    except UsageError:
        if created:  # refused before changing anything: leave no directory behind either
            shutil.rmtree(ws.root)
        raise
    if run.ensure_proxy_image(executor, ws, plan.proxy.image):
        console.info(f"built the proxy image {plan.proxy.image} (Traefik, FROM scratch)")
    port = plan.proxy.http_port
    summary = None
    tally = Tally()
    for version in VERSIONS:
        console.info(f"== deploy {first.service} {version} to localhost")
        ctx = _context(run.load(ws, environ, version), executor, console, environ)
        loop = TrafficLoop(port).start() if version != VERSIONS[0] else None
        try:
            summary = run.deploy_version(ctx, ws, version)
        except LockHeldError as error:  # only another demo run holds the demo's own lock
            raise LockHeldError(error.message, hint=STALE_LOCK_HINT) from None
        finally:
            tally = loop.stop() if loop else tally
        run.expect_page(port, version, fetch)
    remove = "kamalpy demo --remove" + (f" --dir {shlex.quote(str(ws.root))}" if explicit else "")
    if environ.get("NOX_CURRENT_SESSION") == "demo":  # started by `nox -s demo`
        remove = f"nox -s demo -- {remove.removeprefix('kamalpy demo ')}"
    return _report(console, tally, port, summary.seconds if summary else 0.0, remove)


def _context(
    config: Configuration,
    executor: RoutingExecutor,
    console: Output,
    environ: Mapping[str, str],
) -> Context:
    try:
        performer = environ.get("KAMAL_PERFORMER") or getpass.getuser()
    except OSError:
        performer = "demo"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return run.make_context(config, executor, console, time.monotonic, now, performer)


def _report(console: Output, tally: Tally, port: int, seconds: float, remove: str) -> int:
    arrow = " → ".join(VERSIONS)
    served = ", ".join(
        f"{v} {n}" for v in VERSIONS for body, n in tally.bodies.items() if body.endswith(v)
    )
    console.result(
        f"{arrow} in {seconds:.1f}s: {tally.sent} requests ({served or 'none answered'}), "
        f"{tally.failed} failed; open http://127.0.0.1:{port}/"
    )
    for reason in tally.reasons:
        console.warn(f"failed request: {reason}")
    console.result(f"remove it with: {remove}")
    return ExitCode.OK if tally.failed == 0 else ExitCode.DEPLOY_FAILED
