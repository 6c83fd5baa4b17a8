"""Decide what changed in a monorepo: digests of every service against what runs on its hosts.

Producing the facts is this flow's job (git through the executor, one `docker ps` per host,
all hosts in parallel over the run's ssh masters); deciding is the pure monorepo layer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kamalpy.commands.docker_build import build_spec
from kamalpy.commands.running import running_containers_argv
from kamalpy.config.model import Configuration
from kamalpy.deploy.plan_cache import PlanCache
from kamalpy.deploy.service_states import (
    EVERY_SERVICE,
    LoadConfig,
    SecretMacs,
    Selection,
    ServiceState,
    check_routes,
    load_services,
    prepare,
)
from kamalpy.deploy.snapshot import RevisionTrees
from kamalpy.errors import ConfigError, DeployFailed, KamalpyError, UsageError
from kamalpy.executor.base import Executor, Target
from kamalpy.executor.fanout import on_hosts
from kamalpy.monorepo import decide as decisions
from kamalpy.monorepo.decide import Decision, Reason
from kamalpy.monorepo.digests import image_digest
from kamalpy.monorepo.inputs import InputsIndex, service_inputs
from kamalpy.monorepo.observed import Running, of_service, parse_running
from kamalpy.monorepo.settings import MonorepoSettings
from kamalpy.monorepo.tree import Tree

__all__ = [
    "LoadConfig",
    "MonorepoPlan",
    "SecretMacs",
    "Selection",
    "ServiceState",
    "assess",
    "check_routes",
    "decide_all",
    "load_services",
    "prepare",
]


@dataclass(frozen=True)
class MonorepoPlan:
    """Every selected service's state and decision, and the facts they were decided from."""

    root: Path
    revision: str | None
    dirty: bool
    states: tuple[ServiceState, ...]
    decisions: tuple[Decision, ...]
    running: Mapping[str, tuple[Running, ...]] = field(default_factory=dict)
    unreachable: Mapping[str, str] = field(default_factory=dict)
    tree: Tree | None = None  # the working tree decided from (for `why`)
    trees: RevisionTrees | None = None  # past revisions, cached (for `why`)
    settings: MonorepoSettings = field(default_factory=MonorepoSettings)

    def decision(self, service: str) -> Decision:
        """The decision for one service (KeyError when not selected)."""
        for decision in self.decisions:
            if decision.service == service:
                return decision
        raise KeyError(service)

    def state(self, service: str) -> ServiceState:
        """The state of one service (KeyError when not selected)."""
        for state in self.states:
            if state.name == service:
                return state
        raise KeyError(service)


def survey(
    executor: Executor, targets: Sequence[Target], *, limit: int | None = None
) -> tuple[dict[str, tuple[Running, ...]], dict[str, str]]:
    """One `docker inspect` of every running app container per host, all hosts in parallel.

    Returns (running containers by host, error message by unreachable host).
    """
    argv = running_containers_argv()

    def read(target: Target) -> tuple[Running, ...]:
        return parse_running(target.name, executor.run(target, argv).stdout)

    results = on_hosts(list(targets), read, limit=limit)
    errors = {host: _message(error) for host, error in results.errors.items()}
    return dict(results.results), errors


def _message(error: BaseException) -> str:
    text = error.message if isinstance(error, KamalpyError) else str(error)
    return text.splitlines()[0] if text else type(error).__name__


def decide_all(
    states: Sequence[ServiceState],
    running: Mapping[str, tuple[Running, ...]],
    unreachable: Mapping[str, str],
    *,
    force_all: bool,
    assume_changed: bool,
    base_image_digest: Callable[[ServiceState, str], str | None],
) -> tuple[Decision, ...]:
    """A decision per service; an unreachable host is an error unless `assume_changed`."""
    out = []
    for state in states:
        config = state.config
        lost = sorted(h for h in config.app_hosts if h in unreachable)
        if lost and not assume_changed:
            details = "; ".join(f"{h}: {unreachable[h]}" for h in lost)
            raise DeployFailed(
                f"{config.service}: cannot read what runs on {', '.join(lost)} ({details})",
                hint="fix the connection, or pass --assume-changed to deploy it anyway",
            )
        seen = [r for h in config.app_hosts for r in running.get(h, ())]
        mine = of_service(seen, config.service, config.destination)
        decision = decisions.decide(
            state.wanted(),
            mine,
            force_all=force_all,
            base_image_digest=partial(base_image_digest, state),
        )
        if lost:
            decision = _assumed_changed(decision, lost)
        out.append(decision)
    return tuple(out)


def _assumed_changed(decision: Decision, lost: Sequence[str]) -> Decision:
    reason = Reason("assume-changed", f"{', '.join(lost)} unreachable: --assume-changed")
    return Decision(
        service=decision.service,
        kind=decisions.BUILD_DEPLOY,
        build=True,
        deploy=True,
        reasons=(*decision.reasons, reason),
        image_digest=decision.image_digest,
        runtime_digest=decision.runtime_digest,
        base_revisions=decision.base_revisions,
    )


def base_image_digests(
    trees: RevisionTrees, root: Path, settings: MonorepoSettings
) -> Callable[[ServiceState, str], str | None]:
    """The image digest a service had at a past revision, computed from git objects."""

    indexes: dict[str, InputsIndex] = {}  # one per revision, shared by its services

    def compute(state: ServiceState, revision: str) -> str | None:
        tree = trees.get(revision)
        if tree is None:
            return None
        index = indexes.setdefault(revision, InputsIndex(tree, root, settings))
        try:
            inputs = service_inputs(
                tree, state.config, repo_root=root, settings=settings, index=index
            )
        except (ConfigError, KeyError):
            return None  # the service looked different then: fail safe, deploy
        return image_digest(inputs, tree, build_spec(state.config).platforms)

    return compute


def assess(
    executor: Executor,
    start: Path,
    *,
    load: LoadConfig,
    secret_macs: SecretMacs,
    target: Callable[[Configuration, str], Target],
    selection: Selection = EVERY_SERVICE,
    cache: PlanCache | None = None,
) -> MonorepoPlan:
    """Every selected service's digests and decision against what runs on its hosts."""
    root, tree, settings, states = prepare(
        executor, start, load=load, secret_macs=secret_macs, selection=selection, cache=cache
    )
    configs = [state.config for state in states]
    trees = RevisionTrees(executor, root)
    running: dict[str, tuple[Running, ...]] = {}
    unreachable: dict[str, str] = {}
    if selection.since:
        found = decide_since_ref(states, trees, tree, root, settings, selection.since)
    else:
        targets = {h: target(c, h) for c in configs for h in c.app_hosts}
        running, unreachable = survey(executor, list(targets.values()))
        found = decide_all(
            states, running, unreachable,
            force_all=selection.force_all, assume_changed=selection.assume_changed,
            base_image_digest=base_image_digests(trees, root, settings),
        )  # fmt: skip
    return MonorepoPlan(
        root=root,
        revision=tree.revision,
        dirty=bool(tree.dirty),
        states=tuple(states),
        decisions=found,
        running=running,
        unreachable=unreachable,
        tree=tree,
        trees=trees,
        settings=settings,
    )


def decide_since_ref(
    states: Sequence[ServiceState],
    trees: RevisionTrees,
    tree: Tree,
    root: Path,
    settings: MonorepoSettings,
    ref: str,
) -> tuple[Decision, ...]:
    """`--since REF`: every service compared with the revision REF names, from git alone."""
    revision = trees.resolve(ref)
    if revision is None:
        raise UsageError(f"--since {ref}: no such commit here, nor on origin")
    base = trees.get(revision)
    compute = base_image_digests(trees, root, settings)
    out = []
    for state in states:
        paths = runtime_paths(state.config, root, tree, base)
        changed = [p for p in paths if (base.files.get(p) if base else None) != tree.files.get(p)]
        wanted = state.wanted()
        out.append(decisions.decide_since(wanted, ref, compute(state, revision), changed))
    return tuple(out)


def runtime_paths(config: Configuration, root: Path, *trees: Tree | None) -> list[str]:
    """The files a service's runtime configuration is read from: its deploy*.yml and secrets."""
    folder = Path(config.path).resolve().parent.relative_to(root.resolve()).as_posix()
    stem = Path(config.path).stem
    secret_dirs = (f"secrets/{config.service}/", "secrets/common/")
    found: set[str] = set()
    for tree in (t for t in trees if t is not None):
        for path in tree.under(folder):
            name = path.rsplit("/", 1)[-1]
            if path.count("/") == folder.count("/") + 1 and name.startswith(stem):
                found.add(path)
        found.update(p for d in secret_dirs for p in tree.under(d.rstrip("/")))
    return sorted(found)
