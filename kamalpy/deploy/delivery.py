"""Getting a service's image onto its hosts during a deploy: registry login, pull, stream.

A reused image is retagged in each boot's round trip instead (`commands.boot_script`)."""

from __future__ import annotations

from kamalpy.commands.docker_build import BuildSpec, build_spec, tag_argv
from kamalpy.deploy.context import Context
from kamalpy.deploy.hostops import fan_out, run, timed
from kamalpy.deploy.image import goes_over_ssh, image_to_hosts, prepare_image
from kamalpy.deploy.registry import login_on as registry_login_on
from kamalpy.executor.base import LOCAL, Target


def login_on(ctx: Context, target: Target, *, via_ssh: bool) -> None:
    """`docker login` where images go through a registry with credentials, as Kamal does."""
    registry = ctx.config.registry
    if goes_over_ssh(ctx.config, via_ssh or None) or registry.password is None:
        return
    timed(ctx, target.name, f"registry login {registry.server}",
          lambda: registry_login_on(ctx.executor, target, registry, ctx.secrets))  # fmt: skip


def pull_and_tag(ctx: Context, host: str) -> None:
    """Pull (label checked, `latest[-dest]` tagged) on one host, in one command."""
    image = build_spec(ctx.config).image
    timed(ctx, host, f"pull {image}", lambda: image_to_hosts(
        ctx.executor, ctx.config, [ctx.target(host)], via_ssh=False, tag=True)[host])  # fmt: skip


def stream_to_hosts(ctx: Context, hosts: list[str]) -> None:
    """Registry-less: stream the image over ssh where it is missing, then tag `latest[-dest]`."""
    spec = build_spec(ctx.config)
    if ctx.dry_run:  # nothing was built: the image to compare and stream does not exist yet
        for host in hosts:
            ctx.console.step(host, f"stream {spec.image} over ssh (what it lacks)", 0.0)
        return
    targets = [ctx.target(h) for h in hosts]
    results = image_to_hosts(ctx.executor, ctx.config, targets, via_ssh=True)
    for host in results.succeeded:
        ctx.console.step(host, results[host].describe(spec.image), results[host].seconds)
    for host in results.failed:
        ctx.console.step(host, f"stream {spec.image} over ssh", 0.0, ok=False)
    results.raise_for_failures()
    tagged = fan_out(ctx, hosts, lambda h: _tag_latest(ctx, h, spec))
    tagged.raise_for_failures()


def _tag_latest(ctx: Context, host: str, spec: BuildSpec) -> None:
    """Kamal's own `app version`/`details` look for containers of `<repo>:latest` first."""
    for tag in spec.tags[1:]:
        run(ctx, host, tag_argv(spec.image, tag))


def build_here(ctx: Context, *, via_ssh: bool, labels: dict[str, str] | None = None) -> None:
    """Build here (and push unless the image travels over ssh), with the secrets resolved once."""
    image = build_spec(ctx.config).image
    login_on(ctx, LOCAL, via_ssh=via_ssh)
    timed(ctx, "local", f"build {image}", lambda: prepare_image(
        ctx.executor, ctx.config, ctx.secrets, via_ssh=via_ssh or None, labels=labels))  # fmt: skip
