"""Options every command that reads a service's configuration shares: -c, -s, -d, --version."""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from kamalpy.config import Configuration, load_config
from kamalpy.config.gitinfo import GitInfo, git_info_from_files
from kamalpy.config.loader import config_root
from kamalpy.config.locate import locate_config


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """Add -c/--config-file, -s/--service, -d/--destination and --version to a subcommand."""
    group = parser.add_argument_group("configuration")
    group.add_argument("-c", "--config-file", metavar="FILE", help="path to a deploy.yml")
    group.add_argument(
        "-s", "--service", metavar="NAME", help="service under services/NAME/deploy.yml"
    )
    group.add_argument(
        "-d", "--destination", metavar="DEST", help="also read deploy.DEST.yml over it"
    )
    group.add_argument(
        "--version",
        dest="app_version",
        metavar="VERSION",
        help="version (image tag) to use; default $VERSION, else the git commit of HEAD",
    )


def load_from_args(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    cwd: Path | None = None,
    git_dirty: Callable[[Path], bool] | None = None,
    nonce: Callable[[], str] | None = None,
) -> Configuration:
    """Locate and load the configuration the options name (ConfigError/UsageError on problems).

    `git_dirty(app_root)` (the caller runs `git status --porcelain` there through the
    executor) says whether the tree has uncommitted changes; it is called only when the
    version comes from git and the builder has a context. Without it a dirty tree is not
    detected. `nonce` makes the 16 hex characters of the `_uncommitted_` suffix.
    """
    cwd = cwd or Path.cwd()
    path = locate_config(
        config_file=getattr(args, "config_file", None),
        service=getattr(args, "service", None),
        cwd=cwd,
    )
    absolute = path if path.is_absolute() else cwd / path
    root = config_root(absolute)
    git = GitInfo(
        head=git_info_from_files(root).head,
        dirty=(lambda: git_dirty(root)) if git_dirty else (lambda: False),
        nonce=nonce or (lambda: secrets.token_hex(8)),
    )
    # Relative paths read better in messages, but only resolve right from the process cwd.
    readable = path if cwd.resolve() == Path.cwd().resolve() else absolute
    return load_config(
        readable,
        destination=getattr(args, "destination", None),
        environ=environ,
        version=getattr(args, "app_version", None),
        git=git,
    )
