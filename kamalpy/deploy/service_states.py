"""Every service of a monorepo as it is now: configuration, inputs and both digests.

The first half of a plan (the second, deciding against what runs, is `deploy/changes.py`):
the working tree from git, `[tool.kamalpy]`, every discovered deploy.yml loaded, each
service's inputs and digests, reusing what `PlanCache` still vouches for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol

from kamalpy.commands.docker_build import build_spec
from kamalpy.commands.proxy_claims import conflicts_within
from kamalpy.config.gitinfo import find_git_dir
from kamalpy.config.model import Configuration
from kamalpy.config.trace import LoadTrace
from kamalpy.deploy.plan_cache import Entry, PlanCache
from kamalpy.deploy.routes import our_claims
from kamalpy.deploy.snapshot import repository_top, working_tree
from kamalpy.errors import UsageError
from kamalpy.executor.base import Executor
from kamalpy.monorepo.decide import Wanted
from kamalpy.monorepo.digests import config_parts, image_digest, runtime_digest, with_secrets
from kamalpy.monorepo.discovery import check_unique, discover
from kamalpy.monorepo.inputs import InputsIndex, ServiceInputs, service_inputs
from kamalpy.monorepo.settings import MonorepoSettings, monorepo_settings
from kamalpy.monorepo.trace import Answers, TracingTree
from kamalpy.monorepo.tree import Tree


@dataclass(frozen=True)
class ServiceState:
    """One service as it is now: its configuration, inputs and both digests.

    `inputs_source` is the inputs, or how to compute them: a service whose image digest
    came from the cache computes its inputs only when asked (`why`, a deploy).
    """

    config: Configuration
    inputs_source: ServiceInputs | Callable[[], ServiceInputs]
    image_digest: str
    runtime_parts: Mapping[str, str]
    runtime_digest: str

    @cached_property
    def inputs(self) -> ServiceInputs:
        """Every image input with its rule."""
        source = self.inputs_source
        return source() if callable(source) else source

    @property
    def name(self) -> str:
        """The service's name."""
        return self.config.service

    def wanted(self) -> Wanted:
        """What should run, for the decision."""
        slots = tuple((role.name, host) for role in self.config.roles for host in role.hosts)
        return Wanted(
            service=self.name,
            destination=self.config.destination,
            slots=slots,
            image_digest=self.image_digest,
            runtime_digest=self.runtime_digest,
            runtime_parts=self.runtime_parts,
        )


class LoadConfig(Protocol):
    """Loads one deploy.yml (`trace`: record what else the load read, for the cache)."""

    def __call__(self, path: Path, trace: LoadTrace | None = None) -> Configuration: ...


SecretMacs = Callable[[Configuration], Mapping[str, str]]


@dataclass(frozen=True)
class Selection:
    """Which services a run looks at, and how it decides."""

    services: tuple[str, ...] = ()  # empty: every discovered service
    force_all: bool = False
    assume_changed: bool = False
    since: str | None = None  # decide against this git revision instead of what runs


EVERY_SERVICE = Selection()


@dataclass(frozen=True)
class Loaded:
    """One loaded service, and its cache entry: valid (`hit`), new to complete, or None."""

    config: Configuration
    key: str | None = None
    entry: Entry | None = None
    hit: bool = False


def service_state(
    tree: Tree,
    config: Configuration,
    *,
    root: Path,
    settings: MonorepoSettings,
    secret_macs: Mapping[str, str],
    index: InputsIndex | None = None,
) -> ServiceState:
    """Inputs and digests of one service in `tree` (one `index` shared by a tree's services)."""
    inputs = service_inputs(tree, config, repo_root=root, settings=settings, index=index)
    parts = with_secrets(config_parts(config), secret_macs)
    return ServiceState(
        config=config,
        inputs_source=inputs,
        image_digest=image_digest(inputs, tree, build_spec(config).platforms),
        runtime_parts=parts,
        runtime_digest=runtime_digest(parts),
    )


def load_services(
    executor: Executor, start: Path, load: LoadConfig, selection: Selection
) -> tuple[Path, Tree, MonorepoSettings, list[Configuration]]:
    """The repository's working tree, settings, and the selected services' configurations."""
    root, tree, settings, loaded = load_selected(executor, start, load, selection)
    return root, tree, settings, [item.config for item in loaded]


def load_selected(
    executor: Executor,
    start: Path,
    load: LoadConfig,
    selection: Selection,
    cache: PlanCache | None = None,
) -> tuple[Path, Tree, MonorepoSettings, list[Loaded]]:
    """`load_services`, each service with its cache entry (from `cache`, when given)."""
    root = repository_top(executor, start)
    tree = working_tree(executor, root)
    settings = monorepo_settings(tree)
    if cache is not None:
        cache.open(find_git_dir(root))
    located = [(path, _load(tree, root, path, load, cache)) for path in discover(tree, settings)]
    check_unique([(str(path), loaded.config) for path, loaded in located])
    configs = [loaded.config for _, loaded in located]
    check_routes(configs)
    wanted = set(selection.services)
    unknown = sorted(wanted - {c.service for c in configs})
    if unknown:
        known = ", ".join(c.service for c in configs) or "none"
        raise UsageError(f"unknown service(s): {', '.join(unknown)}", hint=f"services: {known}")
    chosen = [loaded for _, loaded in located if not wanted or loaded.config.service in wanted]
    return root, tree, settings, chosen


def _load(tree: Tree, root: Path, path: str, load: LoadConfig, cache: PlanCache | None) -> Loaded:
    """One deploy.yml: from the cache when its entry still holds, else loaded (and traced)."""
    key = cache.key(tree, path, root) if cache is not None else None
    if cache is None or key is None:
        return Loaded(load(root / path))
    entry = cache.get(key, tree)
    config = cache.revive(entry.config) if entry is not None else None
    if entry is not None and config is not None:
        return Loaded(config, key, entry, hit=True)
    trace = LoadTrace()
    config = load(root / path, trace)
    sources = "\0".join(tree.text(p) for p in cache.files(path) if p in tree)
    entry = cache.entry(sources, tree.revision, trace, config, config_parts(config))
    return Loaded(config, key, entry)


def prepare(
    executor: Executor,
    start: Path,
    *,
    load: LoadConfig,
    secret_macs: SecretMacs,
    selection: Selection = Selection(),
    cache: PlanCache | None = None,
) -> tuple[Path, Tree, MonorepoSettings, list[ServiceState]]:
    """Everything a plan needs before asking the hosts: the tree and each service's state."""
    root, tree, settings, loaded = load_selected(executor, start, load, selection, cache)
    states = _States(tree, root, settings, cache)
    found = [states.of(item, secret_macs(item.config)) for item in loaded]
    if cache is not None:
        cache.save()
    return root, tree, settings, found


@dataclass
class _States:
    """Service states of one tree: cached image digests reused, others computed and cached."""

    tree: Tree
    root: Path
    settings: MonorepoSettings
    cache: PlanCache | None

    @cached_property
    def index(self) -> InputsIndex:
        """Parsed once, shared by every service computed without tracing."""
        return InputsIndex(self.tree, self.root, self.settings)

    @cached_property
    def answers(self) -> Answers:
        """The tree's answers to the questions cache entries recorded."""
        return Answers(self.tree)

    def of(self, item: Loaded, macs: Mapping[str, str]) -> ServiceState:
        """The state of one loaded service."""
        config, entry = item.config, item.entry
        if entry is None or item.key is None or self.cache is None:
            return service_state(self.tree, config, root=self.root, settings=self.settings,
                                 secret_macs=macs, index=self.index)  # fmt: skip
        parts = with_secrets(dict(entry.config_parts), macs)
        source: ServiceInputs | Callable[[], ServiceInputs]
        if entry.image_digest and entry.inputs is not None and self.answers.same(entry.inputs):
            image, source = entry.image_digest, self._later(config)
        else:
            # Traced, with an index of its own: a shared one would answer from what it
            # learnt for other services, and those questions would go unrecorded here.
            traced = TracingTree.over(self.tree)
            own = InputsIndex(traced, self.root, self.settings, shared=self.index.shared)
            inputs = service_inputs(
                traced, config, repo_root=self.root, settings=self.settings, index=own
            )
            image = image_digest(inputs, self.tree, build_spec(config).platforms)
            trace = self.answers.trace(traced.queries)
            self.cache.put(item.key, replace(entry, inputs=trace, image_digest=image))
            source = inputs
        return ServiceState(config, source, image, parts, runtime_digest(parts))

    def _later(self, config: Configuration) -> Callable[[], ServiceInputs]:
        def compute() -> ServiceInputs:
            return service_inputs(self.tree, config, repo_root=self.root,
                                  settings=self.settings, index=self.index)  # fmt: skip

        return compute


def check_routes(configs: Sequence[Configuration]) -> None:
    """Two services of the monorepo claiming one host + path on a shared host: stop, naming both."""
    problems = []
    hosts = dict.fromkeys(h for c in configs for h in c.proxy_hosts)
    for host in hosts:
        routes = [item for c in configs for item in our_claims(c, host).items()]
        problems += [f"{host}: {c.describe()}" for c in conflicts_within(routes)]
    if problems:
        raise UsageError(
            "services of this monorepo claim the same proxy host and path:\n  "
            + "\n  ".join(problems),
            hint="give one of them another proxy.host or path_prefix",
        )
