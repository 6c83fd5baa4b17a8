"""Pure helpers of the kit: which services a session acts on, read from `kamalpy plan --json`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Args:
    """The kit's own options split from what goes on to kamalpy."""

    services: tuple[str, ...]
    every: bool
    yes: bool
    dry_run: bool
    destination: str | None
    rest: tuple[str, ...]  # everything else, in order, for kamalpy


def split_args(posargs: Sequence[str], default_destination: str | None) -> Args:
    """Read -s/--service, --all, -y/--yes, --dry-run, -d/--destination out of `posargs`."""
    services: list[str] = []
    every = yes = dry_run = False
    destination = default_destination
    rest: list[str] = []
    items = iter(posargs)
    for arg in items:
        if arg in ("-s", "--service", "-d", "--destination"):
            value = next(items, None)
            if value is None:
                raise ValueError(f"{arg} needs a value")
            if arg in ("-s", "--service"):
                services.append(value)
            else:
                destination = value
        elif arg.startswith("--service="):
            services.append(arg.split("=", 1)[1])
        elif arg.startswith("--destination="):
            destination = arg.split("=", 1)[1]
        elif arg == "--all":
            every = True
        elif arg in ("-y", "--yes"):
            yes = True
        else:
            dry_run = dry_run or arg == "--dry-run"
            rest.append(arg)
    return Args(tuple(services), every, yes, dry_run, destination, tuple(rest))


def kamalpy_selection(args: Args) -> tuple[str, ...]:
    """The selection and destination options again, as kamalpy takes them."""
    out: list[str] = []
    for name in args.services:
        out += ["-s", name]
    if args.destination:
        out += ["-d", args.destination]
    return tuple(out)


def image_changed(service: Mapping[str, Any]) -> bool:
    """True when what runs was not built from these inputs (or nothing runs): tests are due.

    The deploy decision minus the runtime digest: a changed secret or env value needs a
    deploy, not a test run; a changed input file needs both.
    """
    running = service.get("running") or []
    if not running:
        return True
    return any(r.get("image_digest") != service.get("image_digest") for r in running)


def services_to_test(
    plan: Mapping[str, Any], *, every: bool, only: Sequence[str] = ()
) -> list[str]:
    """Services whose own tests must run: changed images (or all with `every`), within `only`."""
    chosen = []
    for service in plan.get("services", []):
        name = str(service["service"])
        if only and name not in only:
            continue
        if every or image_changed(service):
            chosen.append(name)
    return chosen


def services_to_build(plan: Mapping[str, Any]) -> list[str]:
    """Services the plan would build."""
    return [str(s["service"]) for s in plan.get("services", []) if s.get("build")]
