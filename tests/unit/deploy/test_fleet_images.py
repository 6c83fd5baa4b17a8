"""A monorepo deploy gets each changed image by reusing one with the same digest, else building."""

from __future__ import annotations

import itertools
import signal
import threading
from dataclasses import replace

from kamalpy.cli.output import Console
from kamalpy.config.model import Credential, Registry
from kamalpy.deploy.context import Context
from kamalpy.deploy.fleet import ImageLookup, Job, deploy_many, provide_image
from kamalpy.executor.recording import RecordingExecutor
from kamalpy.monorepo.decide import Decision, Reason
from kamalpy.sensitive import Sensitive
from tests.unit.deploy.sample import sample_config

IMG = "d" * 64
REPO = "127.0.0.1:5000/hey"


def job(executor: RecordingExecutor) -> Job:
    ticks = itertools.count()
    registry = Registry("127.0.0.1:5000", Credential(secret="USER"), Credential(secret="PASS"))
    ctx = Context(
        config=replace(sample_config(), registry=registry), executor=executor, console=Console(),
        clock=lambda: float(next(ticks)), recorded_at="2026-01-01T00:00:00Z", performer="ann",
        secrets={"USER": Sensitive("bob"), "PASS": Sensitive("pw")},
    )  # fmt: skip
    decision = Decision("hey", "build+deploy", True, True, (Reason("image-changed", "x"),),
                        IMG, "r" * 64)  # fmt: skip
    return Job(ctx, decision, {"kamalpy.image-digest": IMG, "kamalpy.runtime-digest": "r"})


def test_a_local_image_with_the_digest_is_tagged_and_pushed_not_built() -> None:
    executor = RecordingExecutor()
    asked: list[object] = []
    lookup = ImageLookup(
        local=lambda repo, labels: asked.append((repo, labels)) or "sha256:abc",
        registry=lambda ref: False,
    )
    provide_image(one := job(executor), images=lookup)
    assert asked == [(REPO, {"kamalpy.image-digest": IMG})]
    tags = [f"{REPO}:v2", f"{REPO}:latest", f"{REPO}:digest-{IMG}"]
    assert executor.commands_for("local")[1:] == [  # after the registry login
        *[("docker", "tag", "sha256:abc", t) for t in tags],
        *[("docker", "push", t) for t in tags],
    ]
    assert one.image_source == "reused a local image" and one.outcome is None


def test_an_image_the_registry_has_is_retagged_on_hosts_without_any_local_command() -> None:
    executor = RecordingExecutor()
    lookup = ImageLookup(local=lambda repo, labels: None, registry=lambda ref: True)
    provide_image(one := job(executor), images=lookup)
    assert executor.commands_for("local") == []
    assert (one.decision.build, one.decision.reuse_image) == (False, f"{REPO}:digest-{IMG}")


def test_the_registry_is_asked_first_so_a_local_copy_is_neither_tagged_nor_pushed() -> None:
    executor = RecordingExecutor()
    asked: list[object] = []
    lookup = ImageLookup(
        local=lambda repo, labels: asked.append(repo) or "sha256:abc", registry=lambda ref: True
    )
    provide_image(one := job(executor), images=lookup)
    assert executor.commands_for("local") == [] and asked == []
    assert one.image_source == "reused from the registry"


def test_no_image_anywhere_builds_then_pushes_the_digest_tag_too() -> None:
    executor = RecordingExecutor()
    lookup = ImageLookup(local=lambda repo, labels: None, registry=lambda ref: False)
    provide_image(job(executor), images=lookup)
    local = executor.commands_for("local")
    builds = [argv for argv in local if "build" in argv[1:3]]
    assert len(builds) == 1
    assert f"kamalpy.image-digest={IMG}" in builds[0]
    assert not any("runtime" in token for token in builds[0])
    assert local[-2:] == [
        ("docker", "tag", f"{REPO}:v2", f"{REPO}:digest-{IMG}"),
        ("docker", "push", f"{REPO}:digest-{IMG}"),
    ]


def test_a_stop_requested_before_the_build_builds_nothing_and_says_so() -> None:
    executor = RecordingExecutor()
    lookup = ImageLookup(local=lambda repo, labels: None, registry=lambda ref: False)
    stopped = job(executor)
    stopped.ctx.cancel.request(signal.SIGTERM)
    provide_image(stopped, images=lookup)
    assert executor.commands_for("local") == []
    assert stopped.outcome is not None and "not built" in (stopped.outcome.error or "")


def dry_job(executor: RecordingExecutor, service: str) -> Job:
    registry = Registry("127.0.0.1:5000", Credential(secret="USER"), Credential(secret="PASS"))
    config = replace(sample_config(), service=service, image=service, registry=registry)
    ctx = Context(
        config=config, executor=executor, console=Console(), clock=lambda: 0.0,
        recorded_at="2026-01-01T00:00:00Z", performer="ann", dry_run=True,
        secrets={"DB_PASSWORD": Sensitive("s"), "USER": Sensitive("bob"), "PASS": Sensitive("p")},
    )  # fmt: skip
    decision = Decision(service, "build+deploy", True, True, (Reason("image-changed", "x"),),
                        IMG, "r" * 64)  # fmt: skip
    return Job(ctx, decision, {"kamalpy.image-digest": IMG})


def test_a_service_whose_image_is_ready_deploys_while_another_image_is_still_provided() -> None:
    b_booted = threading.Event()

    def on_command(target: str, argv: tuple[str, ...]) -> None:
        if "kamalpy-boot" in argv and any(a.startswith("b-web-") for a in argv):
            b_booted.set()

    executor = RecordingExecutor(on_command=on_command)
    waited: list[bool] = []

    def registry(reference: str) -> bool:
        if "/a:" in reference:  # a's lookup is slow: b deploys meanwhile
            waited.append(b_booted.wait(5))
        return True

    jobs = [dry_job(executor, "a"), dry_job(executor, "b")]
    outcomes = deploy_many(
        jobs, images=ImageLookup(local=lambda repo, labels: None, registry=registry)
    )
    assert waited == [True]
    assert [(o.service, o.ok) for o in outcomes] == [("a", True), ("b", True)]
