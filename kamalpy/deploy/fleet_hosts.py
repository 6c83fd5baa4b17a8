"""Preparing the hosts of a monorepo deploy once for all its services: logins, network, proxy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from kamalpy.commands.proxy import ProxySettings
from kamalpy.commands.proxy_config import Drift, combined
from kamalpy.deploy import proxy_ops
from kamalpy.deploy.context import Context
from kamalpy.deploy.delivery import login_on
from kamalpy.deploy.image import goes_over_ssh
from kamalpy.deploy.registry import credential_value
from kamalpy.errors import KamalpyError
from kamalpy.plan import DeployPlan
from kamalpy.sensitive import Sensitive

LoginKey = tuple[str | None, Sensitive, Sensitive]  # registry server, username, password


@dataclass(frozen=True)
class Prepared:
    """What the run did once per host for all its services, so that none repeats it."""

    hosts: frozenset[str] = frozenset()  # tools, network, proxy as every service wants it
    logins: frozenset[tuple[str, LoginKey]] = frozenset()  # (host, registry login) done


def login_key(ctx: Context) -> LoginKey | None:
    """The registry login a service's hosts need; None when none (or it is misconfigured)."""
    registry = ctx.config.registry
    if goes_over_ssh(ctx.config) or registry.password is None:
        return None
    try:
        return (
            registry.server,
            credential_value(registry.username, ctx.secrets, "username"),
            credential_value(registry.password, ctx.secrets, "password"),
        )
    except KamalpyError:
        return None  # the service's own login meets the error and reports it


def prepare_hosts(services: Sequence[tuple[Context, DeployPlan]]) -> Prepared:
    """Registry logins, network and proxy once per host before services deploy side by side.

    Two services preparing a fresh host at once would each create a `kamal` network (Docker
    allows duplicate names under that race) and race to boot the proxy; ten services logging
    in and checking the same host ten times cost round trips for nothing. The proxy gets every
    service's settings at once, a changed one replaced one host at a time. Failures here are
    not final: each service's own preparation meets them again and reports them as its own.
    """
    chosen: dict[str, tuple[Context, DeployPlan]] = {}
    logins: dict[str, dict[LoginKey, Context]] = {}
    wanted: dict[str, list[ProxySettings]] = {}
    for ctx, plan in services:
        key = login_key(ctx)
        for host in plan.hosts:
            proxied = host in plan.proxy_hosts
            if host not in chosen or (proxied and host not in chosen[host][1].proxy_hosts):
                chosen[host] = (ctx, plan)
            if key is not None:
                logins.setdefault(host, {}).setdefault(key, ctx)
            if proxied:  # every service's TLS and headers, so none of them reboots it after
                wanted.setdefault(host, []).append(plan.proxy)
    hosts: set[str] = set()
    done: set[tuple[str, LoginKey]] = set()
    drifts: dict[str, Drift | None] = {}

    def prepare(host: str) -> None:
        for key, ctx in logins.get(host, {}).items():
            if _quietly(partial(login_on, ctx, ctx.target(host), via_ssh=False)):
                done.add((host, key))
        ctx, plan = chosen[host]
        settings = combined(wanted[host]) if host in wanted else None
        ensure = partial(proxy_ops.ensure_network_and_proxy, ctx, plan, host, settings=settings)
        if _quietly(lambda: drifts.__setitem__(host, ensure())):
            hosts.add(host)

    with ThreadPoolExecutor(max_workers=max(1, len(chosen)), thread_name_prefix="kp-prep") as pool:
        list(pool.map(prepare, chosen))
    for host, found in drifts.items():  # one host at a time: the others keep serving
        if found is None:
            continue
        if not _quietly(partial(proxy_ops.reconfigure_host, chosen[host][0], host, found)):
            hosts.discard(host)  # each service's own deploy meets it again
    return Prepared(frozenset(hosts), frozenset(done))


def _quietly(action: Callable[[], object]) -> bool:
    """Run action; False when it failed (reported by the service that meets it again)."""
    try:
        action()
    except KamalpyError:
        return False
    return True


def login_once(ctx: Context, prepared: Prepared, host: str, *, via_ssh: bool) -> None:
    """Log in on host unless the run's preparation already did with the same credentials."""
    key = login_key(ctx)
    if key is None or (host, key) not in prepared.logins:
        login_on(ctx, ctx.target(host), via_ssh=via_ssh)
