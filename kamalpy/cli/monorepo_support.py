"""What the monorepo commands share: is this a monorepo, options, and the plan from the options.

Here the environment, identity and clock are read (and nowhere below); `deploy/changes.py`
does the work with the functions built here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import kamalpy
from kamalpy.commands.ssh import settings_from_config
from kamalpy.config.gitinfo import find_git_dir, read_head
from kamalpy.config.locate import CONFIG_NAME, SERVICES_DIR, find_repo_root
from kamalpy.config.model import Configuration
from kamalpy.config.trace import LoadTrace
from kamalpy.deploy.changes import LoadConfig, MonorepoPlan, SecretMacs, Selection, assess
from kamalpy.deploy.plan_cache import PlanCache, fingerprint
from kamalpy.deploy.secret_refs import env_uses, names_of
from kamalpy.executor.base import Executor, Target


def is_monorepo(args: argparse.Namespace, cwd: Path) -> bool:
    """True without -c, in a repository with `services/` and no Kamal `config/deploy.yml`."""
    if getattr(args, "config_file", None):
        return False
    root = find_repo_root(cwd)
    return (root / SERVICES_DIR).is_dir() and not (root / "config" / CONFIG_NAME).is_file()


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """-s (repeatable), --all, --since, --assume-changed: which services and how to decide."""
    parser.add_argument("--all", action="store_true", help="deploy every service, changed or not")
    parser.add_argument(
        "--since",
        metavar="REF",
        help="decide against this git revision instead of the labels on what runs",
    )
    parser.add_argument(
        "--assume-changed",
        action="store_true",
        help="treat services on unreachable hosts as changed instead of failing",
    )


def selection(args: argparse.Namespace) -> Selection:
    """The Selection the options describe."""
    return Selection(
        services=tuple(getattr(args, "service", None) or ()),
        force_all=bool(getattr(args, "all", False)),
        assume_changed=bool(getattr(args, "assume_changed", False)),
        since=getattr(args, "since", None),
    )


def loader(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    cwd: Path,
    head: Callable[[Path], str | None] | None = None,
) -> LoadConfig:
    """Load one service's deploy.yml with the run's destination and version."""
    head = head or head_reader()

    def load(path: Path, trace: LoadTrace | None = None) -> Configuration:
        from kamalpy.cli.common import load_from_args  # see `secret_macs`

        one = argparse.Namespace(**{**vars(args), "config_file": str(path), "service": None})
        config = load_from_args(one, environ, cwd=cwd, git_dirty=None, git_head=head, trace=trace)
        # Paths are shown relative to cwd, but inputs are found from the absolute folder.
        return replace(
            config, root=(cwd / config.root).resolve(), path=(cwd / config.path).resolve()
        )

    return load


def head_reader() -> Callable[[Path], str | None]:
    """HEAD of the repository holding a folder; one run's services share it, so read once."""
    heads: dict[Path | None, str | None] = {}
    git_dirs: dict[Path, Path | None] = {}

    def head(root: Path) -> str | None:
        if root not in git_dirs:
            git_dirs[root] = find_git_dir(root.resolve())
        git_dir = git_dirs[root]
        if git_dir not in heads:
            heads[git_dir] = read_head(git_dir) if git_dir else None
        return heads[git_dir]

    return head


def plan_cache(
    args: argparse.Namespace, environ: Mapping[str, str], head: Callable[[Path], str | None]
) -> PlanCache | None:
    """The cache of loaded services and image digests; None when KAMALPY_NO_CACHE is set."""
    if environ.get("KAMALPY_NO_CACHE"):
        return None
    app_version = getattr(args, "app_version", None)

    def revive(config: Configuration) -> Configuration | None:
        # The version rule of `load` (no dirty suffix in a monorepo), as of this run.
        version = app_version or environ.get("VERSION") or head(config.root)
        if not version:
            return None
        return config if config.version == version else replace(config, version=version)

    code = fingerprint(kamalpy.__version__, Path(kamalpy.__file__).parent)
    return PlanCache(code, environ, getattr(args, "destination", None), revive)


def secret_macs(environ: Mapping[str, str]) -> SecretMacs:
    """Keyed MACs of the secret values a service's containers get."""

    def macs(config: Configuration) -> Mapping[str, str]:
        uses = env_uses(config)
        if not names_of(uses):
            return {}
        # Imported only when needed: a plan served from its cache, of services without
        # secrets, loads no file and opens no store, so it need not import their code.
        from kamalpy.cli.secret_support import resolve_uses
        from kamalpy.secrets import find_root, load_identity
        from kamalpy.secrets.digest_key import digest_key, value_macs

        values = resolve_uses(config, uses, environ)
        root = find_root(Path(config.root).resolve())
        home = Path(environ.get("HOME") or Path.home())
        key = None
        if (root / "secrets").is_dir():
            key = digest_key(root, config.service, config.destination, load_identity(environ, home))
        if key is None:  # values from the environment only: nothing to key a MAC with
            return {name: "not-compared" for name in values}
        return value_macs(key, values)

    return macs


def target_of(config: Configuration, host: str) -> Target:
    """The target of one host of a service (local hosts run here)."""
    local = host in config.extras.local_hosts
    return Target(host, settings_from_config(config.ssh, host), local=local)


def plan_from_args(
    args: argparse.Namespace, environ: Mapping[str, str], executor: Executor, cwd: Path
) -> MonorepoPlan:
    """Assess the monorepo the options describe."""
    head = head_reader()
    return assess(
        executor,
        cwd,
        load=loader(args, environ, cwd, head),
        secret_macs=secret_macs(environ),
        target=target_of,
        selection=selection(args),
        cache=plan_cache(args, environ, head),
    )
