"""Registry login and logout, on this machine and on hosts; the password only ever on stdin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kamalpy.commands.registry import login_argv, logout_argv
from kamalpy.config.model import Credential, Registry
from kamalpy.errors import UsageError
from kamalpy.executor.base import Completed, Executor, Target
from kamalpy.executor.fanout import HostResults, on_hosts
from kamalpy.sensitive import Sensitive


def uses_registry(registry: Registry) -> bool:
    """False for Kamal's local-registry form (`server: localhost:PORT`, no credentials).

    Kamal runs a registry here and forwards it over ssh; kamalpy streams the image over ssh
    instead (`docker save | docker load`), keeping the same image names on the hosts.
    """
    return not (registry.local and registry.username is None)


def credential_value(
    credential: Credential | None, secrets: Mapping[str, Sensitive], what: str
) -> Sensitive:
    """The value of registry.username/password: a literal, or a secret looked up by name."""
    if credential is None:
        raise UsageError(
            f"registry.{what} is not set in deploy.yml",
            hint=f"add registry.{what} (a secret name in a list, e.g. [KAMAL_REGISTRY_PASSWORD])",
        )
    if credential.literal is not None:
        return credential.literal
    name = credential.secret or ""
    if name not in secrets:
        raise UsageError(
            f"registry.{what}: secret {name} not found",
            hint=f"add it to the secrets store (or the environment as {name})",
        )
    return secrets[name]


def login(
    executor: Executor,
    targets: Sequence[Target],
    registry: Registry,
    secrets: Mapping[str, Sensitive],
    *,
    limit: int | None = None,
) -> HostResults[Completed]:
    """`docker login` on every target in parallel, the password written to docker's stdin."""
    credential_value(registry.username, secrets, "username")  # a missing one: before any host
    credential_value(registry.password, secrets, "password")
    return on_hosts(targets, lambda t: login_on(executor, t, registry, secrets), limit=limit)


def login_on(
    executor: Executor, target: Target, registry: Registry, secrets: Mapping[str, Sensitive]
) -> Completed:
    """`docker login` on one target, the password written to docker's stdin."""
    username = credential_value(registry.username, secrets, "username").reveal()
    password = credential_value(registry.password, secrets, "password")
    argv = login_argv(registry.server, username)
    return executor.run(target, argv, stdin=password.reveal().encode())


def logout(
    executor: Executor, targets: Sequence[Target], registry: Registry, *, limit: int | None = None
) -> HostResults[Completed]:
    """`docker logout` on every target in parallel."""
    argv = logout_argv(registry.server)
    return on_hosts(targets, lambda target: executor.run(target, argv), limit=limit)
