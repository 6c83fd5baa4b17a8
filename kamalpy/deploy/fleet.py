"""Deploy many services of a monorepo in one run: build the changed ones, then deploy in parallel.

Every service keeps its own lock, health barrier and rollback-on-failure (the single-service
flow in `deploy.py`); they share one executor, so each host has one ssh connection for the
whole run. One service failing leaves the others' outcomes intact.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

from kamalpy.commands.boot_script import Retag
from kamalpy.commands.docker_build import build_spec, push_argv, tag_argv
from kamalpy.commands.image_reuse import digest_reference
from kamalpy.deploy import deploy as flow
from kamalpy.deploy import lock
from kamalpy.deploy.context import Context, Output
from kamalpy.deploy.delivery import build_here, login_on, pull_and_tag, stream_to_hosts
from kamalpy.deploy.env_files import check_env_files
from kamalpy.deploy.fleet_hosts import Prepared, login_once, prepare_hosts
from kamalpy.deploy.hooks import run_hook
from kamalpy.deploy.hostops import timed
from kamalpy.deploy.image import goes_over_ssh
from kamalpy.errors import KamalpyError
from kamalpy.executor.base import LOCAL
from kamalpy.monorepo.decide import Decision
from kamalpy.monorepo.digests import IMAGE_LABEL
from kamalpy.plan import DeployPlan, deploy_plan


@dataclass(frozen=True)
class FlowOptions:
    """What every service's deploy flow is run with (the deploy command's options)."""

    lock_wait: float = 0
    lock_stale_after: float = lock.DEFAULT_STALE_AFTER
    switch_back: bool = True


@dataclass(frozen=True)
class ImageLookup:
    """Where an image with a given image digest may already exist (read-only questions)."""

    local: Callable[[str, Mapping[str, str]], str | None]  # repository, labels -> image id
    registry: Callable[[str], bool]  # reference -> the registry has it


@dataclass
class Job:
    """One service to deploy: its context (shared executor), decision and container labels."""

    ctx: Context
    decision: Decision
    labels: Mapping[str, str]
    hosts: Sequence[str] | None = None  # -H: only these hosts (None: all)
    roles: Sequence[str] | None = None  # -r: only these roles (None: all)
    outcome: Outcome | None = None
    image_source: str = "built"

    def plan(self) -> DeployPlan:
        """The single-service plan of this job, with the monorepo labels."""
        return deploy_plan(self.ctx.config, hosts=self.hosts, roles=self.roles, labels=self.labels)


@dataclass
class Outcome:
    """How one service's deploy ended."""

    service: str
    kind: str
    version: str
    hosts: tuple[str, ...]
    seconds: float = 0.0
    error: str | None = None
    image: str = ""  # built | reused local image | reused running image

    @property
    def ok(self) -> bool:
        """True when the service is deployed."""
        return self.error is None


@dataclass
class ServiceOutput:
    """A console that prefixes every line with the service's name (services run side by side)."""

    console: Output
    service: str
    lock: threading.Lock = field(default_factory=threading.Lock)

    def info(self, text: str) -> None:
        """An info line."""
        self.console.info(f"{self.service}: {text}")

    def detail(self, text: str) -> None:
        """A verbose line."""
        self.console.detail(f"{self.service}: {text.strip()}")

    def step(self, host: str, what: str, seconds: float, ok: bool = True) -> None:
        """A per-host step line."""
        self.console.step(host, f"{self.service}: {what}", seconds, ok)

    def result(self, text: str) -> None:
        """A result line."""
        self.console.result(text)

    def warn(self, text: str) -> None:
        """A warning."""
        self.console.warn(f"{self.service}: {text}")


def deploy_many(
    jobs: Sequence[Job],
    *,
    images: ImageLookup,
    build_workers: int = 2,
    options: FlowOptions | None = None,
) -> list[Outcome]:
    """Provide each job's image (builds bounded in parallel), then deploy it at once.

    The hosts are prepared (logins, network, proxy) once for all services while images are
    provided; a service whose image is ready does not wait for another's build. A stop
    requested through the run's cancellation token (a signal) starts nothing new; each
    service already deploying cleans up as a single deploy does, and says so.
    """
    options = options or FlowOptions()
    for job in jobs:
        check_env_files(job.plan(), job.ctx.secrets)  # before anything runs
    builds = threading.BoundedSemaphore(max(1, build_workers))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kp-prep") as early:
        preparing = early.submit(prepare_hosts, [(job.ctx, job.plan()) for job in jobs])

        def one(job: Job) -> None:
            provide_image(job, images=images, builds=builds)
            if job.outcome is None:
                _deploy_one(job, options=options, prepared=preparing.result())

        with ThreadPoolExecutor(max_workers=max(1, len(jobs)), thread_name_prefix="kp-svc") as pool:
            list(pool.map(one, jobs))
    return [job.outcome for job in jobs if job.outcome is not None]


def _fail(job: Job, error: KamalpyError, started: float) -> None:
    config = job.ctx.config
    job.outcome = Outcome(
        config.service, job.decision.kind, config.version, config.app_hosts,
        job.ctx.clock() - started, error.render(),
    )  # fmt: skip


def provide_image(
    job: Job, *, images: ImageLookup, builds: threading.Semaphore | None = None
) -> None:
    """Get the image with this image digest into the registry: reuse one, else build it.

    An image the registry already has under its digest tag is retagged on the hosts (no
    build, no tag, no push: asked first, as it costs one registry request); else a local image
    with the digest label is tagged and pushed; else it is built. Every image made or reused
    here is also pushed as `digest-<image digest>`, for the next run. `builds` bounds how
    many builds run at once (they use every core); lookups, tags and pushes are not bounded.
    """
    if not job.decision.build:
        return
    started = job.ctx.clock()
    ctx = job.ctx
    if ctx.cancel.requested:
        _fail(job, ctx.cancel.error("not built"), started)
        return
    via_ssh = goes_over_ssh(ctx.config)
    by_digest = digest_reference(ctx.config.repository, job.decision.image_digest)
    try:
        run_hook(ctx, "pre-build", hosts=list(ctx.config.app_hosts))
        spec = build_spec(ctx.config, dict(job.labels))
        if not via_ssh and images.registry(by_digest):
            ctx.console.info(f"{by_digest} is in the registry: reused, not rebuilt")
            job.decision = replace(job.decision, build=False, reuse_image=by_digest)
            job.image_source = "reused from the registry"
            return
        found = images.local(ctx.config.repository, {IMAGE_LABEL: job.decision.image_digest})
        login_on(ctx, LOCAL, via_ssh=via_ssh)
        tags: list[str] = [by_digest]
        if found is None:  # the build pushes its own tags
            with builds or contextlib.nullcontext():
                build_here(ctx, via_ssh=via_ssh, labels=_image_labels(job.labels))
            source = spec.image
        else:
            source, tags = found, [*spec.tags, by_digest]
            job.image_source = "reused a local image"
        for tag in tags:
            timed(ctx, "local", f"tag {source.removeprefix('sha256:')[:12]} as {tag}",
                  partial(ctx.executor.run, LOCAL, tag_argv(source, tag)))  # fmt: skip
        if not via_ssh:
            for tag in tags:
                timed(ctx, "local", f"push {tag}",
                      partial(ctx.executor.run, LOCAL, push_argv(tag)))  # fmt: skip
    except KamalpyError as error:
        _fail(job, error, started)


def _image_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """What an image records: its image digest and revision (the runtime is the container's)."""
    return {k: v for k, v in labels.items() if "runtime" not in k}


def _deploy_one(job: Job, *, options: FlowOptions, prepared: Prepared) -> None:
    ctx = job.ctx
    started = ctx.clock()
    if ctx.cancel.requested:
        _fail(job, ctx.cancel.error("not started"), started)
        return
    plan = job.plan()
    via_ssh = goes_over_ssh(ctx.config)
    reuse = job.decision.reuse_image
    # A reused image is retagged as this version in each boot's own round trip.
    retag = Retag(reuse, build_spec(ctx.config).tags) if reuse else None
    before: Callable[[], None] | None = None
    deliver_host: Callable[[str], None] | None = None
    if via_ssh and not reuse:
        before = partial(stream_to_hosts, ctx, list(plan.hosts))
    elif not reuse:
        deliver_host = partial(pull_and_tag, ctx)
    try:
        summary = flow.deploy(
            ctx,
            plan,
            lock_wait=options.lock_wait,
            lock_stale_after=options.lock_stale_after,
            switch_back=options.switch_back,
            login_host=partial(login_once, ctx, prepared, via_ssh=via_ssh),
            deliver_host=deliver_host,
            before_boot=before,
            prepared=prepared.hosts,
            retag=retag,
        )
    except KamalpyError as error:
        _fail(job, error, started)
        return
    source = job.image_source if job.decision.build else "reused the running image"
    if reuse and reuse.startswith(digest_reference(ctx.config.repository, "")):
        source = "reused from the registry"
    job.outcome = Outcome(
        ctx.config.service, job.decision.kind, ctx.config.version, plan.hosts,
        summary.seconds, None, source,
    )  # fmt: skip
