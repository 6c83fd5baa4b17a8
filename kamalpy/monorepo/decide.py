"""Pure: what to do with each service, decided from its digests against what actually runs.

The base is never `HEAD~1` or any git ref by default: it is the labels on the running
containers, so a skipped CI run, a shallow clone or a force push cannot hide a change.
When the base is unknown, the decision fails safe (deploy) and says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from kamalpy.monorepo.digests import short
from kamalpy.monorepo.observed import Running

BUILD_DEPLOY = "build+deploy"
DEPLOY = "deploy"
SKIP = "skip"
DRIFT = "drift"
UNKNOWN_BASE = "unknown-base"
KINDS = (BUILD_DEPLOY, DEPLOY, SKIP, DRIFT, UNKNOWN_BASE)


@dataclass(frozen=True)
class Reason:
    """One reason behind a decision: a stable code for machines and a sentence for people."""

    code: str
    text: str


@dataclass(frozen=True)
class Wanted:
    """What should run for one service and destination: where, and its two digests."""

    service: str
    destination: str | None
    slots: tuple[tuple[str, str], ...]  # (role, host)
    image_digest: str
    runtime_digest: str
    runtime_parts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The decision for one service, with its reasons and the base it was compared against."""

    service: str
    kind: str
    build: bool
    deploy: bool
    reasons: tuple[Reason, ...]
    image_digest: str
    runtime_digest: str
    base_revisions: tuple[str, ...] = ()  # revisions running now, from labels or names
    reuse_image: str | None = None  # a running image with this image digest: deploy, no build

    @property
    def changes(self) -> bool:
        """True when the service is deployed (with or without a build)."""
        return self.deploy


BaseImageDigest = Callable[[str], str | None]


def decide(
    wanted: Wanted,
    running: Sequence[Running],
    *,
    force_all: bool = False,
    base_image_digest: BaseImageDigest = lambda revision: None,
) -> Decision:
    """Decide for one service from the containers of that service running on its hosts.

    `base_image_digest(revision)` computes the image digest at a git revision (None when it
    cannot), for containers without kamalpy labels (deployed by Kamal itself).
    """
    by_slot = {slot: _on_slot(running, *slot) for slot in wanted.slots}
    missing = [slot for slot, found in by_slot.items() if not found]
    present = [r for found in by_slot.values() for r in found]
    revisions = tuple(sorted({r.source_revision for r in present if r.source_revision}))
    reuse = _reusable_image(present, wanted.image_digest)
    make = _Maker(wanted, revisions, reuse)
    if force_all:
        return make(BUILD_DEPLOY, True, [Reason("all", "--all: every service is deployed")])
    if not present:
        return make(BUILD_DEPLOY, True, [Reason("not-running", "not running on any host yet")])
    if any(not r.labelled for r in present):
        return _unknown_base(make, wanted, present, missing, base_image_digest)
    pairs = {(r.image_digest, r.runtime_digest) for r in present}
    reasons = [_missing_reason(missing)] if missing else []
    if len(pairs) > 1:
        build = wanted.image_digest not in {image for image, _ in pairs}
        return make(DRIFT, build, [_drift_reason(present), *reasons])
    (image, runtime) = next(iter(pairs))
    if image != wanted.image_digest:
        text = f"image inputs changed: {short(image)} runs, {short(wanted.image_digest)} wanted"
        return make(BUILD_DEPLOY, True, [Reason("image-changed", text), *reasons])
    if runtime != wanted.runtime_digest:
        text = (
            f"runtime configuration changed: {short(runtime)} runs, "
            f"{short(wanted.runtime_digest)} wanted; the running image is reused"
        )
        return make(DEPLOY, False, [Reason("runtime-changed", text), *reasons])
    if missing:
        return make(DEPLOY, False, reasons)
    hosts = ", ".join(sorted({r.host for r in present}))
    text = f"unchanged: image {short(image)} and runtime {short(runtime)} run on {hosts}"
    return make(SKIP, False, [Reason("unchanged", text)], deploy=False)


@dataclass(frozen=True)
class _Maker:
    wanted: Wanted
    revisions: tuple[str, ...]
    reuse: str | None

    def __call__(
        self, kind: str, build: bool, reasons: Sequence[Reason], *, deploy: bool = True
    ) -> Decision:
        return Decision(
            service=self.wanted.service,
            kind=kind,
            build=build,
            deploy=deploy,
            reasons=tuple(reasons),
            image_digest=self.wanted.image_digest,
            runtime_digest=self.wanted.runtime_digest,
            base_revisions=self.revisions,
            reuse_image=None if build else self.reuse,
        )


def _on_slot(running: Sequence[Running], role: str, host: str) -> list[Running]:
    return [r for r in running if r.role == role and r.host == host]


def _reusable_image(present: Sequence[Running], image_digest: str) -> str | None:
    matching = sorted(r.image for r in present if r.image_digest == image_digest)
    return matching[0] if matching else None


def _missing_reason(missing: Sequence[tuple[str, str]]) -> Reason:
    where = ", ".join(f"{host} ({role})" for role, host in missing)
    return Reason("not-running", f"not running on {where}")


def _drift_reason(present: Sequence[Running]) -> Reason:
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    for r in present:
        groups.setdefault((r.image_digest, r.runtime_digest), []).append(r.host)
    described = "; ".join(
        f"{', '.join(sorted(set(hosts)))} run image {short(image)} runtime {short(runtime)}"
        for (image, runtime), hosts in sorted(groups.items(), key=lambda g: sorted(g[1]))
    )
    return Reason("drift", f"hosts disagree: {described}; deploying converges them")


def _unknown_base(
    make: _Maker,
    wanted: Wanted,
    present: Sequence[Running],
    missing: Sequence[tuple[str, str]],
    base_image_digest: BaseImageDigest,
) -> Decision:
    """Containers without kamalpy labels: find their revision's image digest from git."""
    unlabelled = [r for r in present if not r.labelled]
    hosts = ", ".join(sorted({r.host for r in unlabelled}))
    reasons = [Reason("no-labels", f"no kamalpy labels on {hosts} (deployed by Kamal?)")]
    revisions = {r.source_revision for r in unlabelled}
    if None in revisions:
        versions = ", ".join(sorted({r.version for r in unlabelled if not r.source_revision}))
        reasons.append(Reason("base-unknown", f"version {versions} names no git revision"))
        return make(UNKNOWN_BASE, True, reasons)
    images = {r.image_digest for r in present if r.labelled}
    for revision in sorted(r for r in revisions if r):
        digest = base_image_digest(revision)
        if digest is None:
            reasons.append(Reason("base-unknown", f"revision {revision[:12]} not found in git"))
            return make(UNKNOWN_BASE, True, reasons)
        images.add(digest)
    if images != {wanted.image_digest}:
        reasons.append(Reason("image-changed", "image inputs differ from the running revision"))
        return make(UNKNOWN_BASE, True, reasons)
    reasons.append(
        Reason(
            "runtime-unknown",
            "same image inputs as the running revision; its runtime configuration is not "
            "recorded, so it is deployed (no build) to record it",
        )
    )
    if missing:
        reasons.append(_missing_reason(missing))
    reuse = sorted(r.image for r in unlabelled)[0]
    return replace(make(UNKNOWN_BASE, False, reasons), reuse_image=reuse)


def decide_since(
    wanted: Wanted, ref: str, base_image: str | None, runtime_changes: Sequence[str]
) -> Decision:
    """`--since REF`: decide from git alone, comparing the service now with REF.

    A configuration-only change is a build+deploy too: without labels there is no running
    image to reuse, and the build step reuses any image already made from these inputs.
    """
    make = _Maker(wanted, (), None)
    if base_image is None:
        text = f"did not exist at {ref}, or its inputs could not be read there"
        return make(BUILD_DEPLOY, True, [Reason("since-changed", text)])
    if base_image != wanted.image_digest:
        return make(
            BUILD_DEPLOY, True, [Reason("since-changed", f"image inputs changed since {ref}")]
        )
    if runtime_changes:
        text = f"configuration changed since {ref}: {', '.join(runtime_changes)}"
        return make(BUILD_DEPLOY, True, [Reason("since-changed", text)])
    return make(SKIP, False, [Reason("since-unchanged", f"unchanged since {ref}")], deploy=False)
