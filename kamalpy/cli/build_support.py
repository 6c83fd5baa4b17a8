"""Shared by `build` and `registry`: the app hosts they act on and the secrets they name.

Options, loading and the executor are the deploy-flow commands' own (`flow_support`), so a flag
means the same in every command.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from kamalpy.cli.flow_support import selection
from kamalpy.cli.secret_support import resolve_uses
from kamalpy.commands.ssh import settings_from_config
from kamalpy.config.model import Configuration
from kamalpy.deploy.secret_refs import SecretUse, all_uses
from kamalpy.executor.base import Target
from kamalpy.sensitive import Sensitive


def app_targets(config: Configuration, args: argparse.Namespace) -> tuple[Target, ...]:
    """Targets of the app hosts, narrowed by -H and -r (already checked by `flow_support.load`)."""
    roles = selection(getattr(args, "roles", None))
    hosts = selection(getattr(args, "hosts", None))
    chosen = [h for r in config.roles if roles is None or r.name in roles for h in r.hosts]
    selected = [h for h in dict.fromkeys(chosen) if hosts is None or h in hosts]
    settings = settings_from_config(config.ssh)
    local = set(config.extras.local_hosts)
    return tuple(Target(host, settings, local=host in local) for host in selected)


def secrets_named(
    config: Configuration, names: Sequence[str], environ: Mapping[str, str]
) -> dict[str, Sensitive]:
    """Values for secret names: the store, else the environment; SecretsError naming any missing."""
    wanted = set(names)
    uses = tuple(use for use in all_uses(config) if use.name in wanted)
    uses += tuple(SecretUse(n, "this command") for n in sorted(wanted - {u.name for u in uses}))
    return resolve_uses(config, uses, environ)
