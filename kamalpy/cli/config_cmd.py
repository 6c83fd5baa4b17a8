"""`kamalpy config` (the resolved configuration) and `kamalpy docs` (the deploy.yml reference)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import yaml

from kamalpy.cli.common import add_config_options, load_from_args
from kamalpy.cli.output import Console
from kamalpy.config.schema import SECTIONS, section_text
from kamalpy.config.summary import summarize
from kamalpy.errors import ExitCode, UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `config` and `docs` subcommands."""
    config = subparsers.add_parser(
        "config",
        help="show the resolved configuration of a service",
        description="Load, validate and print a service's configuration, with Kamal's "
        "defaults applied and secrets redacted.",
    )
    add_config_options(config)
    config.add_argument("--json", action="store_true", help="print stable JSON (docs/config.md)")
    config.set_defaults(handler=run_config)
    docs = subparsers.add_parser(
        "docs",
        help="show the deploy.yml reference",
        description="Print the commented reference of deploy.yml, or of one section.",
    )
    docs.add_argument("section", nargs="?", help=f"one of: {', '.join(SECTIONS)}")
    docs.set_defaults(handler=run_docs)


def run_config(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Print the resolved configuration as YAML, or JSON with --json."""
    config = load_from_args(args, environ)
    data = summarize(config)
    if args.json:
        console.json(data)
    else:
        console.result(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())
    return ExitCode.OK


_ALIASES = {"accessories": "accessory", "aliases": "alias", "roles": "role", "top": "configuration"}


def run_docs(args: argparse.Namespace, console: Console, environ: Mapping[str, str]) -> int:
    """Print one section's reference (all of the top level when none is named)."""
    name = args.section or "configuration"
    name = _ALIASES.get(name, name)
    if name not in SECTIONS:
        raise UsageError(f"no section {args.section!r}; sections: {', '.join(SECTIONS)}")
    console.result(section_text(name).rstrip())
    if not args.section:
        console.result(f"\n# Sections: kamalpy docs {{{','.join(SECTIONS[1:])}}}")
    return ExitCode.OK
