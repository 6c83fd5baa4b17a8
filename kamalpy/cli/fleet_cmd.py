"""`kamalpy deploy` at the root of a monorepo: decide, build what changed, deploy many at once."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from kamalpy.cli import flow_support as fs
from kamalpy.cli import monorepo_support as ms
from kamalpy.cli.output import Console
from kamalpy.cli.plan_render import PLAN_SCHEMA, plan_json, plan_lines
from kamalpy.deploy.changes import MonorepoPlan, ServiceState
from kamalpy.deploy.fleet import (
    FlowOptions,
    ImageLookup,
    Job,
    Outcome,
    ServiceOutput,
    deploy_many,
)
from kamalpy.errors import ExitCode, UsageError
from kamalpy.executor.base import Executor
from kamalpy.executor.engine import find_local_image, registry_has
from kamalpy.monorepo.decide import Decision
from kamalpy.monorepo.digests import (
    IMAGE_LABEL,
    PARTS_LABEL,
    REVISION_LABEL,
    RUNTIME_LABEL,
)


def add_deploy_options(parser: argparse.ArgumentParser) -> None:
    """Monorepo-only options of `deploy`."""
    ms.add_selection_options(parser)
    parser.add_argument(
        "--plan",
        dest="saved_plan",
        metavar="FILE",
        help="apply exactly this saved `kamalpy plan --json`; refuse if anything moved since",
    )


def handle_monorepo_deploy(
    args: argparse.Namespace, console: Console, environ: Mapping[str, str]
) -> int:
    """Deploy every changed service of the monorepo, in parallel, and summarise each."""
    cwd = Path.cwd()
    # Reading git and what runs is read-only: it runs for real even in a dry run, and the
    # same executor (its ssh masters) then carries the deploy: one connection per host.
    with fs.make_executor(argparse.Namespace(), console) as executor:
        plan = ms.plan_from_args(args, environ, executor, cwd)
        if args.saved_plan:
            check_saved_plan(Path(args.saved_plan), plan, args.destination)
        console.info("\n".join(plan_lines(plan)))
        chosen = [d for d in plan.decisions if d.deploy]
        if not chosen:
            console.result("Nothing to deploy.")
            return ExitCode.OK
        deployer = fs.make_executor(args, console) if args.dry_run else executor
        jobs = [_job(args, console, environ, plan, d, deployer) for d in chosen]
        outcomes = deploy_many(
            jobs,
            images=ImageLookup(local=find_local_image, registry=registry_has),
            build_workers=os.cpu_count() or 1,
            options=FlowOptions(args.lock_wait, args.lock_stale_after, args.switch_back),
        )
    console.result("\n".join(summary_lines(outcomes, dry_run=args.dry_run)))
    cancel = getattr(args, "cancel", None)
    if cancel is not None and cancel.requested:
        raise cancel.error("stopped: the summary above says what each service did")
    return ExitCode.OK if all(o.ok for o in outcomes) else ExitCode.DEPLOY_FAILED


def _job(
    args: argparse.Namespace,
    console: Console,
    environ: Mapping[str, str],
    plan: MonorepoPlan,
    decision: Decision,
    executor: Executor,
) -> Job:
    state = plan.state(decision.service)
    version = deploy_version(plan, state, decision, explicit=bool(args.app_version))
    config = replace(state.config, version=version)
    ctx = fs.make_context(args, console, environ, config, "deploy", executor=executor)
    ctx.console = ServiceOutput(console, config.service)
    labels = {
        IMAGE_LABEL: decision.image_digest,
        RUNTIME_LABEL: decision.runtime_digest,
        REVISION_LABEL: plan.revision or "",
        PARTS_LABEL: json.dumps(dict(state.runtime_parts), separators=(",", ":")),
    }
    return Job(ctx, decision, labels, fs.selection(args.hosts), fs.selection(args.roles))


def deploy_version(
    plan: MonorepoPlan, state: ServiceState, decision: Decision, *, explicit: bool
) -> str:
    """The version: HEAD, marked `_uncommitted_` when inputs are dirty, never a running name.

    A version already running with other digests (a secret changed, nothing committed)
    gets a suffix from the digests, so the new container never takes the running one's name.
    """
    version = state.config.version
    dirty = plan.tree is not None and any(p in plan.tree.dirty for p in state.inputs.files)
    if dirty and not explicit:
        version = f"{version}_uncommitted_{decision.image_digest[:16]}"
    for host in state.config.app_hosts:
        for running in plan.running.get(host, ()):
            if running.service != state.name or running.version != version:
                continue
            if (running.image_digest, running.runtime_digest) != (
                decision.image_digest,
                decision.runtime_digest,
            ):
                both = (decision.image_digest + decision.runtime_digest).encode()
                return f"{version}_{hashlib.sha256(both).hexdigest()[:8]}"
    return version


def check_saved_plan(path: Path, plan: MonorepoPlan, destination: str | None) -> None:
    """Refuse (exit 2) when the tree or the servers moved since the plan in `path` was made."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: cannot read the plan: {error}") from None
    if not isinstance(saved, dict) or saved.get("schema") != PLAN_SCHEMA:
        raise UsageError(f"{path}: not a kamalpy plan (schema {PLAN_SCHEMA!r})")
    now = plan_json(plan, destination)
    moved = plan_differences(saved, now)
    if moved:
        raise UsageError(
            f"{path}: the plan is out of date, nothing was deployed:\n  " + "\n  ".join(moved),
            hint="make a new one with `kamalpy plan --json > FILE` and review it",
        )


def plan_differences(saved: dict[str, object], now: dict[str, object]) -> list[str]:
    """What moved between a saved plan and the plan made now, one line each."""
    moved = []
    for key in ("revision", "dirty", "destination"):
        if saved.get(key) != now.get(key):
            moved.append(f"{key}: {saved.get(key)} in the plan, {now.get(key)} now")
    old = {s["service"]: s for s in saved.get("services", []) if isinstance(s, dict)}  # type: ignore[attr-defined]
    new = {s["service"]: s for s in now["services"]}  # type: ignore[attr-defined]
    for name in sorted(set(old) | set(new)):
        if name not in new or name not in old:
            moved.append(f"{name}: {'not ' if name not in new else ''}in the plan made now")
            continue
        for key in ("decision", "image_digest", "runtime_digest", "running"):
            if old[name].get(key) != new[name].get(key):
                moved.append(f"{name}: {key.replace('_', ' ')} changed")
    return moved


def summary_lines(outcomes: list[Outcome], *, dry_run: bool) -> list[str]:
    """One line per deployed service: decision, version, hosts, time, result."""
    lines = ["Dry run:" if dry_run else "Deploy summary:"]
    width = max((len(o.service) for o in outcomes), default=0)
    for o in outcomes:
        status = "ok" if o.ok else "FAILED"
        lines.append(
            f"  {o.service:<{width}}  {o.kind:<12}  {o.version[:24]:<24}  "
            f"{','.join(o.hosts)}  {o.seconds:.1f}s  {status}  ({o.image})"
        )
    for o in outcomes:
        if o.error:
            lines.append(f"{o.service} failed: {o.error}")
    failed = sum(1 for o in outcomes if not o.ok)
    if failed:
        lines.append(f"{failed} of {len(outcomes)} services failed; the others are deployed.")
    return lines
