"""Options every command that reads a service's configuration shares: -c, -s, -d, --version."""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from kamalpy.commands.erb import erb_command_argv
from kamalpy.commands.git import status_porcelain_argv
from kamalpy.config.erbcontext import ShellOutput
from kamalpy.config.gitinfo import GitInfo, git_info_from_files
from kamalpy.config.locate import locate_config
from kamalpy.config.model import Configuration
from kamalpy.config.trace import LoadTrace
from kamalpy.errors import UsageError
from kamalpy.executor.base import LOCAL
from kamalpy.executor.local import LocalExecutor


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """Add -c/--config-file, -s/--service, -d/--destination and --version to a subcommand."""
    group = parser.add_argument_group("configuration")
    group.add_argument("-c", "--config-file", metavar="FILE", help="path to a deploy.yml")
    group.add_argument(
        "-s",
        "--service",
        metavar="NAME",
        action="append",
        help="service under services/NAME/deploy.yml (repeatable where many are allowed)",
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


def one_service(value: str | list[str] | None) -> str | None:
    """The one service a single-service command names (`-s` may be given only once)."""
    if isinstance(value, list):
        if len(value) > 1:
            raise UsageError(f"this command acts on one service; -s was given {len(value)} times")
        return value[0] if value else None
    return value


def working_tree_dirty(root: Path) -> bool:
    """True when git reports uncommitted changes in root; False outside a git checkout."""
    result = LocalExecutor().run(LOCAL, status_porcelain_argv(root), check=False)
    return result.ok and bool(result.stdout.strip())


def run_erb_command(command: str, directory: Path) -> ShellOutput:
    """Run an ERB backtick command as Ruby does: stdout captured, stderr passed to ours."""
    result = LocalExecutor().run(LOCAL, erb_command_argv(command, directory), check=False)
    if result.stderr:
        sys.stderr.write(result.stderr)
    return ShellOutput(result.stdout, result.exit_status)


def print_warning(text: str) -> None:
    """A configuration warning on stderr, one line."""
    print(f"warning: {text}", file=sys.stderr)


def load_from_args(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    cwd: Path | None = None,
    git_dirty: Callable[[Path], bool] | None = working_tree_dirty,
    nonce: Callable[[], str] | None = None,
    git_head: Callable[[Path], str | None] | None = None,
    trace: LoadTrace | None = None,
) -> Configuration:
    """Locate and load the configuration the options name (ConfigError/UsageError on problems).

    `git_dirty(app_root)` says whether the tree has uncommitted changes (by default `git
    status --porcelain` through the local executor); it is called only when the version
    comes from git and the builder has a context. `nonce` makes the 16 hex characters of
    the `_uncommitted_` suffix. `git_head(app_root)` gives HEAD (by default read from `.git`
    files): a caller loading many services of one repository reads it once.
    """
    cwd = cwd or Path.cwd()
    path = locate_config(
        config_file=getattr(args, "config_file", None),
        service=one_service(getattr(args, "service", None)),
        cwd=cwd,
    )
    absolute = path if path.is_absolute() else cwd / path
    # Imported here: a plan served from its cache never loads a file, so never pays for it.
    from kamalpy.config.loader import config_root, load_config

    root = config_root(absolute)
    git = GitInfo(
        head=git_head(root) if git_head else git_info_from_files(root).head,
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
        shell=run_erb_command,
        warn=print_warning,
        trace=trace,
    )
