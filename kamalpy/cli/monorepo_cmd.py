"""`kamalpy plan`, `why SERVICE`, `why-not SERVICE`: what a monorepo deploy would do, and why."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kamalpy.cli import flow_support as fs
from kamalpy.cli import monorepo_support as ms
from kamalpy.cli.common import add_config_options
from kamalpy.cli.output import Console
from kamalpy.cli.plan_render import plan_json, plan_lines, why_lines, why_not_lines
from kamalpy.deploy.changes import MonorepoPlan
from kamalpy.errors import ExitCode, UsageError
from kamalpy.monorepo.explain import input_changes, nearest_misses, setting_changes
from kamalpy.monorepo.inputs import service_inputs

if TYPE_CHECKING:
    from kamalpy.cli.flow_support import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add plan, why and why-not."""
    p = subparsers.add_parser("plan", help="what a monorepo deploy would do, per service, and why")
    add_config_options(p)
    ms.add_selection_options(p)
    p.add_argument("--json", action="store_true", help="the plan as JSON (docs/plan.schema.json)")
    p.set_defaults(handler=handle_plan, command_name="plan")
    for name, help_text, handler in (
        ("why", "each changed input of SERVICE with the rule that made it one", handle_why),
        ("why-not", "changed files that match no input rule of SERVICE, and its rules",
         handle_why_not),
    ):  # fmt: skip
        p = subparsers.add_parser(name, help=help_text)
        p.add_argument("subject", metavar="SERVICE")
        add_config_options(p)
        p.set_defaults(handler=handler, command_name=name)


def _assess(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> MonorepoPlan:
    cwd = Path.cwd()
    if not ms.is_monorepo(args, cwd):
        raise UsageError(
            "not a monorepo: no services/ folder here or above (or a Kamal config/deploy.yml)",
            hint="plan, why and why-not compare services/*/deploy.yml with what runs",
        )
    with fs.make_executor(argparse.Namespace(), console) as executor:
        return ms.plan_from_args(args, environ, executor, cwd)


def handle_plan(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Print the decision and reasons for every service."""
    plan = _assess(args, console, environ)
    if args.json:
        console.json(plan_json(plan, args.destination))
    else:
        console.result("\n".join(plan_lines(plan)))
    return ExitCode.OK


def _one(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> MonorepoPlan:
    args = argparse.Namespace(**{**vars(args), "service": [args.subject]})
    return _assess(args, console, environ)


def handle_why(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Explain one service's decision: changed inputs (with rules) and changed settings."""
    plan = _one(args, console, environ)
    state, decision = plan.state(args.subject), plan.decision(args.subject)
    files = None
    base = decision.base_revisions[0] if decision.base_revisions else None
    base_tree = plan.trees.get(base) if plan.trees and base else None
    if base_tree is not None and plan.tree is not None:
        try:
            then = service_inputs(base_tree, state.config, repo_root=plan.root,
                                  settings=plan.settings).files  # fmt: skip
        except Exception:
            then = {}
        files = input_changes(base_tree, then, plan.tree, state.inputs.files)
    elif not decision.base_revisions:
        files = []
    settings = _setting_changes(plan, args.subject)
    console.result("\n".join(why_lines(state, decision, files, settings)))
    return ExitCode.OK


def _setting_changes(plan: MonorepoPlan, service: str) -> list[str] | None:
    state = plan.state(service)
    for host in state.config.app_hosts:
        for running in plan.running.get(host, ()):
            if running.service == service and running.runtime_parts:
                return setting_changes(dict(running.runtime_parts), state.runtime_parts)
    return None


def handle_why_not(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Explain why a service is not (or is) deployed: the nearest misses and its rules."""
    plan = _one(args, console, environ)
    state, decision = plan.state(args.subject), plan.decision(args.subject)
    base = decision.base_revisions[0] if decision.base_revisions else None
    base_tree = plan.trees.get(base) if plan.trees and base else None
    misses = None
    if base_tree is not None and plan.tree is not None:
        misses = nearest_misses(base_tree, plan.tree, state.inputs.files)
    console.result("\n".join(why_not_lines(state, decision, misses)))
    return ExitCode.OK
