"""Mutation score of one package with mutmut and its narrowest unit tests (`nox -s mutants`).

Each package runs in its own work directory (.mutants/<name>/: a copy of kamalpy/, tests/ and
pyproject.toml with a [tool.mutmut] section), so runs are incremental and never touch the
checkout. Prints killed/total per package and the surviving mutants' names (`mutmut show NAME`
in that directory prints one).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutants"


@dataclass(frozen=True)
class Target:
    """What to mutate (glob patterns) and the unit tests that should kill it."""

    mutate: tuple[str, ...]
    tests: tuple[str, ...]


# The narrowest tests that pin each package: the rules' own table (the YAML cases in
# tests/cases/config also reach rules.py, at ten times the cost per mutant), the plan's tests and
# the flow tests that walk plans, every commands test (exact argv and host scripts), and the
# secrets tests.
TARGETS = {
    "commands": Target(("kamalpy/commands/*",), ("tests/unit/commands",)),
    "plan": Target(
        ("kamalpy/plan.py",),
        (
            "tests/unit/plan",
            "tests/unit/deploy/test_deploy_rollout.py",
            "tests/unit/deploy/test_deploy_flow.py",
        ),
    ),
    "rules": Target(
        ("kamalpy/config/rules.py",),
        ("tests/unit/config/test_rules_limits.py", "tests/unit/config/test_rules_table.py"),
    ),
    "secrets": Target(("kamalpy/secrets/*",), ("tests/unit/secrets",)),
}


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(name: str) -> Path:
    """Refresh the package's work directory from the checkout (mutmut's state is kept)."""
    target, work = TARGETS[name], WORK / name
    work.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache")
    for part in ("kamalpy", "tests"):
        shutil.rmtree(work / part, ignore_errors=True)
        shutil.copytree(ROOT / part, work / part, ignore=ignore)
    section = (
        "\n[tool.mutmut]\n"
        'source_paths = ["kamalpy"]\n'
        f"only_mutate = {_toml_list(target.mutate)}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(target.tests)}\n"
        # The catalogue test scans kamalpy/commands' source, which mutmut rewrites into trampolines.
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q",'
        ' "--ignore=tests/unit/commands/test_host_script_catalogue.py"]\n'
        "use_git_change_detection = false\n"
    )
    (work / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + section)
    return work


def mutmut(work: Path, *args: str, capture: bool = False) -> str:
    """Run mutmut in the work directory, at low priority: mutation runs are CPU-heavy."""
    done = subprocess.run(
        ["nice", "-n", "10", sys.executable, "-m", "mutmut", *args],
        cwd=work, check=True, text=True, capture_output=capture,
    )  # fmt: skip
    return done.stdout if capture else ""


def not_killed(work: Path) -> dict[str, str]:
    """Mutant name -> status ("survived", "no tests", ...) of every mutant not killed so far."""
    results = mutmut(work, "results", capture=True)
    pairs = (line.strip().rpartition(": ") for line in results.splitlines() if ": " in line)
    return {mutant: status for mutant, _, status in pairs}


def score(name: str) -> tuple[int, int, list[str]]:
    """(killed, total, survivors) for one package, after an incremental run on one core."""
    work = prepare(name)
    earlier = (work / "mutants").exists()
    mutmut(work, "run", "--max-children", "1")
    # mutmut keeps a verdict until the mutated function changes, so a survivor would stay one
    # after tests were added for it: on a rerun, the mutants not killed are re-tested by name.
    retest = [m for m, status in not_killed(work).items() if status in ("survived", "no tests")]
    if earlier and retest:
        mutmut(work, "run", "--max-children", "1", *retest)
    mutmut(work, "export-cicd-stats")
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = sorted(m for m, status in not_killed(work).items() if status != "timeout")
    killed = stats["killed"] + stats["timeout"]  # a mutant that hangs the tests is caught
    return killed, stats["total"] - stats["skipped"], survivors


def main(names: list[str]) -> int:
    """Score the named packages (all by default) one after another; print the table."""
    rows = []
    for name in names or list(TARGETS):
        killed, total, survivors = score(name)
        rows.append(f"{name:10} {killed:5}/{total:<5} {100 * killed / max(total, 1):5.1f}%")
        print(f"{name}: {len(survivors)} not killed:\n  " + "\n  ".join(survivors))
    print("\n".join(["package     killed/total  score", *rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
