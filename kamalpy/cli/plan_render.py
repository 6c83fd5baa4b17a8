"""Three renderings of one decision object: `plan` (text and JSON), `why` and `why-not`."""

from __future__ import annotations

from typing import Any

from kamalpy.deploy.changes import MonorepoPlan, ServiceState
from kamalpy.monorepo.decide import Decision
from kamalpy.monorepo.digests import short
from kamalpy.monorepo.explain import FileChange

PLAN_SCHEMA = "kamalpy-plan/1"


def plan_json(plan: MonorepoPlan, destination: str | None) -> dict[str, Any]:
    """The plan as the JSON document `docs/plan.schema.json` describes."""
    return {
        "schema": PLAN_SCHEMA,
        "revision": plan.revision,
        "dirty": plan.dirty,
        "destination": destination,
        "services": [_service_json(plan, d) for d in plan.decisions],
        "unreachable": dict(plan.unreachable),
    }


def _service_json(plan: MonorepoPlan, decision: Decision) -> dict[str, Any]:
    state = plan.state(decision.service)
    running = [
        {
            "host": r.host,
            "role": r.role,
            "container": r.name,
            "image_digest": r.image_digest,
            "runtime_digest": r.runtime_digest,
            "revision": r.source_revision,
        }
        for host in state.config.app_hosts
        for r in plan.running.get(host, ())
        if r.service == decision.service and r.destination == (state.config.destination or "")
    ]
    return {
        "service": decision.service,
        "decision": decision.kind,
        "build": decision.build,
        "deploy": decision.deploy,
        "image_digest": decision.image_digest,
        "runtime_digest": decision.runtime_digest,
        "base_revisions": list(decision.base_revisions),
        "reuse_image": decision.reuse_image,
        "hosts": list(state.config.app_hosts),
        "reasons": [{"code": r.code, "text": r.text} for r in decision.reasons],
        "running": running,
    }


def plan_lines(plan: MonorepoPlan) -> list[str]:
    """The plan for people: one block per service, then a one-line total."""
    head = f"Plan at {short(plan.revision)}" + (" (uncommitted changes)" if plan.dirty else "")
    lines = [head]
    width = max((len(d.service) for d in plan.decisions), default=0)
    for decision in plan.decisions:
        base = ", ".join(short(r) for r in decision.base_revisions) or "-"
        lines.append(f"  {decision.service:<{width}}  {decision.kind:<12}  base {base}")
        lines += [f"  {'':<{width}}    {reason.text}" for reason in decision.reasons]
    lines.append(total_line(plan.decisions))
    return lines


def total_line(decisions: tuple[Decision, ...]) -> str:
    """`Nothing to deploy.` or `2 of 4 services to deploy (1 to build).`"""
    deploying = [d for d in decisions if d.deploy]
    if not deploying:
        return "Nothing to deploy."
    builds = sum(1 for d in deploying if d.build)
    return f"{len(deploying)} of {len(decisions)} services to deploy ({builds} to build)."


def why_lines(
    state: ServiceState,
    decision: Decision,
    files: list[FileChange] | None,
    settings: list[str] | None,
) -> list[str]:
    """`why SERVICE`: the decision, each changed input with its rule, settings by key."""
    lines = _header(state, decision, files)
    if files:
        lines.append("  changed inputs:")
        width = max(len(c.path) for c in files)
        lines += [f"    {c.path:<{width}}  [{c.status}]  <- {c.rule}" for c in files]
    if settings:
        lines.append("  changed settings:")
        lines += [f"    {line}" for line in settings]
    return lines


def why_not_lines(
    state: ServiceState, decision: Decision, misses: list[FileChange] | None
) -> list[str]:
    """`why-not SERVICE`: changed files no rule of the service covers, then its rules."""
    lines = _header(state, decision, misses)
    if misses:
        lines.append("  changed files that match no input rule of this service:")
        lines += [f"    {c.path}  [{c.status}]" for c in misses]
    elif misses is not None:
        lines.append("  no file changed since the running revision")
    lines.append("  its input rules:")
    rules = getattr(state.inputs, "rules", ())
    lines += [f"    {rule.describe()}" for rule in rules]
    return lines


def _header(state: ServiceState, decision: Decision, files: list[FileChange] | None) -> list[str]:
    lines = [f"{state.name}: {decision.kind}"] + [f"  {r.text}" for r in decision.reasons]
    if files is None:
        lines.append("  changed files: unknown (the base revision is not in git here)")
    return lines
