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


def check_host(
    ctx: Context, host: str, ports: tuple[int, ...] | None = None
) -> list[setup.Problem]:
    """Probe one host; install Docker on Debian/Ubuntu as root when absent; what is still wrong."""
    argv = setup.probe_argv(proxy_ports(ctx.config, host) if ports is None else ports)
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
    check_services([ctx], hosts)


def check_services(contexts: Sequence[Context], only: Sequence[str] | None) -> None:
    """Every host of every service checked once, in parallel, for the ports all of them need."""
    chosen: dict[str, tuple[Context, tuple[int, ...]]] = {}
    for ctx in contexts:
        for host in ctx.config.all_hosts:
            if only is not None and host not in only:
                continue
            first, ports = chosen.get(host, (ctx, ()))
            wanted = tuple(sorted({*ports, *proxy_ports(ctx.config, host)}))
            chosen[host] = (first, wanted)
    if not chosen:
        return
    results = hostops.fan_out(
        contexts[0], list(chosen), lambda h: check_host(chosen[h][0], h, chosen[h][1])
    )
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
