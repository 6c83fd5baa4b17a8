"""`setup`'s checks: probe every server (read-only), install Docker only where Kamal would, and
say exactly what is missing and how to fix it before anything else changes."""

from __future__ import annotations

from collections.abc import Sequence

from kamalpy.commands import setup
from kamalpy.config.model import Configuration
from kamalpy.deploy import hostops
from kamalpy.deploy.context import Context
from kamalpy.errors import HostUnreachable, UsageError
from kamalpy.plan import proxy_settings


def proxy_ports(config: Configuration, host: str) -> tuple[int, ...]:
    """The host ports kamalpy's proxy publishes on `host` (none where no role is proxied)."""
    if host not in config.proxy_hosts:
        return ()
    settings = proxy_settings(config)
    return (settings.http_port, settings.https_port) if settings.ssl else (settings.http_port,)


def check_host(ctx: Context, host: str) -> list[setup.Problem]:
    """Probe one host; install Docker on Debian/Ubuntu as root when absent; what is still wrong."""
    argv = setup.probe_argv(proxy_ports(ctx.config, host))
    try:
        report = setup.parse_probe(hostops.run(ctx, host, argv, check=False).stdout)
    except HostUnreachable as error:
        fix = "check ssh.user, ssh.port and keys: `ssh USER@HOST true` must work without a prompt"
        return [setup.Problem(f"cannot reach it over ssh ({error.message})", fix)]
    if ctx.dry_run:
        return []
    if setup.can_install_docker(report):
        hostops.timed(ctx, host, "install Docker (get.docker.com)",
                      lambda: hostops.run(ctx, host, setup.install_docker_argv()))  # fmt: skip
        report = setup.parse_probe(hostops.run(ctx, host, argv, check=False).stdout)
    return setup.problems(report)


def check_hosts(ctx: Context, hosts: Sequence[str]) -> None:
    """Every host checked in parallel; UsageError listing each problem and its fix, per host."""
    results = hostops.fan_out(ctx, hosts, lambda h: check_host(ctx, h))
    error = hostops.first_error(results)  # type: ignore[arg-type]
    if error is not None:
        raise error
    lines = [
        f"{host}: {p.what}\n    fix: {p.fix}" for host in results.succeeded for p in results[host]
    ]
    if lines:
        raise UsageError(
            "these servers are not ready; nothing was changed:\n" + "\n".join(lines),
            hint="fix them, then run `kamalpy setup` again (it is safe to repeat)",
        )
