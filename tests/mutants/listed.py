"""Re-apply each mutant the test audit listed (issue 15) and show the unit test that kills it.

`python -m tests.mutants.listed [NAME...]` (or `nox -s mutants -- listed`): for each mutant, a
scratch copy of kamalpy/ and tests/ gets the one-line change, then the named unit tests run there;
the mutant must make them fail. Exit 1 names any mutant that survived.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutant:
    """A small deliberate bug: `old` (found exactly once in `path`) becomes `new`."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


PLAN = ("tests/unit/plan", "tests/unit/deploy/test_deploy_rollout.py")
SCRIPTS = ("tests/unit/commands/test_host_scripts_app.py",)
DRAIN = ("tests/unit/commands/test_host_scripts_probe.py",)
RULES = ("tests/unit/config/test_rules_limits.py",)
ENV = ("tests/unit/commands/test_env_file.py",)
ACCESSORY = ("tests/unit/commands/test_host_scripts_accessory.py",)
LOCK = ("tests/unit/commands/test_host_scripts_lock.py",)
SETUP = ("tests/unit/commands/test_host_scripts_setup.py",)
BOOT = ("tests/unit/commands/test_host_scripts_boot.py",)

MUTANTS = (
    Mutant("boot.limit ignored", "kamalpy/plan.py",
           "size = config.boot.batch_size(len(targets))", "size = len(targets)", PLAN),
    Mutant("boot.wait ignored (plan)", "kamalpy/plan.py",
           "batches, config.boot.wait)", "batches, None)", PLAN),
    Mutant("boot.wait ignored (flow)", "kamalpy/deploy/roles.py",
           "if index and role.boot_wait and not ctx.dry_run and ctx.cancel.wait(role.boot_wait):",
           "if False:", PLAN),
    Mutant("primary role not first", "kamalpy/plan.py",
           "key=lambda r: (r.name != config.primary_role, r.name)", "key=lambda r: r.name", PLAN),
    Mutant("retention keeps one too many", "kamalpy/commands/app_scripts.py",
           '"$(($4 + 1))"', '"$(($4 + 2))"', SCRIPTS),
    Mutant("retention keeps one too few", "kamalpy/commands/app_scripts.py",
           '"$(($4 + 1))"', '"$(($4))"', SCRIPTS),
    # The deploy's retire (one `docker ps` for the stop and the prune) holds its own count.
    Mutant("retire keeps one too many", "kamalpy/commands/app_scripts.py",
           'shift "$retain"', 'shift "$(( retain + 1 ))"', SCRIPTS),
    Mutant("retire keeps one too few", "kamalpy/commands/app_scripts.py",
           'shift "$retain"', 'shift "$(( retain - 1 ))"', SCRIPTS),
    Mutant("retire calls docker rm with nothing beyond retain", "kamalpy/commands/app_scripts.py",
           '[ "$#" -gt "$retain" ] || exit 0', '[ "$#" -ge "$retain" ] || exit 0', SCRIPTS),
    Mutant("retire leaves a restarting container running", "kamalpy/commands/app_scripts.py",
           'running|restarting) set', 'running) set', SCRIPTS),
    Mutant("retire prunes a paused container", "kamalpy/commands/app_scripts.py",
           'running|restarting|created|exited|dead) set', '*) set', SCRIPTS),
    Mutant("retain - 1 off by one in the plan", "kamalpy/plan.py",
           "keep = max(config.retain_containers - 1, 0)", "keep = max(config.retain_containers, 0)",
           PLAN),
    Mutant("drain filter one column short", "kamalpy/commands/drain.py",
           "length($2) - 4", "length($2) - 3", DRAIN),
    Mutant("drain filter one column long", "kamalpy/commands/drain.py",
           "length($2) - 4", "length($2) - 5", DRAIN),
    Mutant("minimum_version: only the major compared", "kamalpy/config/rules.py",
           "if wanted > KAMAL_SCHEMA_VERSION:", "if wanted[:1] > KAMAL_SCHEMA_VERSION[:1]:", RULES),
    Mutant("minimum_version: equal refused", "kamalpy/config/rules.py",
           "if wanted > KAMAL_SCHEMA_VERSION:", "if wanted >= KAMAL_SCHEMA_VERSION:", RULES),
    Mutant("empty registry credential accepted", "kamalpy/config/rules.py",
           'if registry.get(key) in (None, "", [])', "if registry.get(key) in (None, [])", RULES),
    Mutant("env-file limit one byte up", "kamalpy/commands/env_file.py",
           "MAX_LINE_BYTES: Final = 64 * 1024 - 1", "MAX_LINE_BYTES: Final = 64 * 1024", ENV),
    Mutant("env-file limit one byte down", "kamalpy/commands/env_file.py",
           "if size > MAX_LINE_BYTES:", "if size >= MAX_LINE_BYTES:", ENV),
    Mutant("readiness delay ignored", "kamalpy/commands/boot_script.py",
           "left=$(( delay - took ))", "left=$(( 0 - took ))", BOOT),
    Mutant("readiness ignores Docker's health", "kamalpy/commands/boot_script.py",
           '[ "$health" = healthy ] && break', "break", BOOT),
    Mutant("readiness never times out", "kamalpy/commands/boot_script.py",
           '[ "$took" -ge "$limit" ] && { echo timeout; exit 0; }', ":", BOOT),
    Mutant("readiness never answers pending", "kamalpy/commands/boot_script.py",
           '[ "$took" -ge "$budget" ] && { echo "pending $took"; exit 0; }', ":", BOOT),
    Mutant("env file readable by others", "kamalpy/commands/boot_script.py",
           "install -m 600 /dev/stdin", "install -m 644 /dev/stdin", BOOT),
    Mutant("a resumed wait boots again", "kamalpy/commands/boot_script.py",
           'if [ "$mode" != resume ]; then', "if true; then", BOOT),
    Mutant("audit line written after a failed retire", "kamalpy/commands/boot_script.py",
           '[ "$status" = 0 ] || exit 0', "true", BOOT),
    Mutant("retag failure ignored", "kamalpy/commands/boot_script.py",
           '"$src" "$ref"; } || exit', '"$src" "$ref"; }', BOOT),
    Mutant("a pending wait resumed with the whole delay", "kamalpy/deploy/booting.py",
           "left = ready.waited(waited)", "left = ready", ("tests/unit/deploy/test_readiness.py",)),
    # Host scripts held in module constants (mutmut mutates code inside functions only).
    Mutant("accessory boot expands ~ after other flags", "kamalpy/commands/accessory.py",
           '"$prev" = --volume', '"$prev" = --env', ACCESSORY),
    Mutant("accessory boot keeps the / of ~/", "kamalpy/commands/accessory.py",
           'a="$HOME/${a#??}"', 'a="$HOME/${a#?}"', ACCESSORY),
    Mutant("details reads a failed docker ps as no containers", "kamalpy/commands/details.py",
           "--quiet) || exit; ", "--quiet); ", ACCESSORY),
    Mutant("route files named .yaml not read", "kamalpy/commands/proxy_claims.py",
           '"$1"/*.yml "$1"/*.yaml', '"$1"/*.yml', ACCESSORY),
    Mutant("setup probe counts established sockets as listeners", "kamalpy/commands/setup.py",
           '$4 == "0A"', '$4 == "01"', SETUP),
    Mutant("setup probe port column one short", "kamalpy/commands/setup.py",
           "substr($2, length($2) - 4)", "substr($2, length($2) - 3)", SETUP),
    Mutant("docker install runs after a failed download", "kamalpy/commands/setup.py",
           "get.docker.com) && printf", "get.docker.com); printf", SETUP),
    Mutant("takeover removes a lock that changed hands", "kamalpy/commands/lock.py",
           '= "$3" ]; then rm -rf', '!= "$3" ]; then rm -rf', LOCK),
    Mutant("takeover guard cleared after five minutes", "kamalpy/commands/lock.py",
           "-mmin +1", "-mmin +5", LOCK),
    Mutant("takeover guard of a live takeover cleared", "kamalpy/commands/lock.py",
           "-mmin +1", "-mmin -1", LOCK),
)  # fmt: skip


# The baseline: the same tests, nothing changed; they must pass or "killed" would mean nothing.
UNCHANGED = Mutant(
    "(no mutant)", "pyproject.toml", "", "", tuple({t for m in MUTANTS for t in m.tests})
)


def apply(mutant: Mutant, root: Path) -> None:
    """Write the mutant into the copy at root; the original text must occur exactly once."""
    if mutant is UNCHANGED:
        return
    target = root / mutant.path
    text = target.read_text()
    if text.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.name}: {mutant.old!r} is not exactly once in {mutant.path}")
    target.write_text(text.replace(mutant.old, mutant.new))


def killed_by(mutant: Mutant) -> str | None:
    """The first failing test with the mutant applied, or None when it survived."""
    with tempfile.TemporaryDirectory(prefix="kamalpy-mutant-") as scratch:
        root = Path(scratch)
        ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache")
        for part in ("kamalpy", "tests"):
            shutil.copytree(ROOT / part, root / part, ignore=ignore)
        shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
        apply(mutant, root)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode == 0:
        return None
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return failed[0].split(" - ")[0] if failed else f"pytest exit {done.returncode}"


def main(names: list[str]) -> int:
    """Replay the chosen mutants (all by default); exit 1 when one survives."""
    chosen = [m for m in MUTANTS if not names or m.name in names]
    if killed_by(UNCHANGED) is not None:
        print("the unit tests fail without any mutant: fix them first")
        return 2
    survivors = []
    for mutant in chosen:
        test = killed_by(mutant)
        print(
            f"{'killed ' if test else 'SURVIVED'}  {mutant.name}: {test or ', '.join(mutant.tests)}"
        )
        if test is None:
            survivors.append(mutant.name)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
