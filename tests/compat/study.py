"""Compatibility study: real public `config/deploy*.yml` files through Kamal 2.11 and kamalpy.

The files are other people's code, so they stay out of this repository: `real_configs.txt`
lists repository, commit and path, `collect` copies them from local git mirrors (or GitHub
when online) into a corpus directory, and `run` compares, for every base file and each of
its destinations, what the real `kamal config` and `kamalpy config --json` resolve:

    python -m tests.compat.study collect --mirrors /work/.mirror --corpus /tmp/corpus
    python -m tests.compat.study run --corpus /tmp/corpus --kamal .nox/tests/bin/kamal

Both tools run offline in a scratch app holding the repository's config/ files, a dummy
`.kamal/secrets`, a dummy value for every environment variable the files name, VERSION set,
and stub `git`/`aws`/`gh`/`op` commands first on PATH. The table printed is the one in
docs/compat.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.compat.test_kamal_config import SHARED_KEYS, _kamal_values

LIST = Path(__file__).with_name("real_configs.txt")
REPO_ROOT = Path(__file__).parents[2]
_ENV_NAME = re.compile(r"""ENV(?:\.fetch\(\s*|\[\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']""")
# Files the ERB reads (`.ruby-version`, a password file): a dummy stands in for each.
_READ = re.compile(r"""(?:File\.read|expand_path)\(\s*["']([^"'#]+)["']""")
_STUBS = {
    "git": 'case "$*" in *describe*) echo v1.0.0;; *--short*) echo 0123456;; '
    "*rev-parse*) echo 0123456789abcdef0123456789abcdef01234567;; *) :;; esac",
    "aws": "echo dummy-aws",
    "gh": "echo dummy-gh",
    "op": "echo dummy-op",
}


@dataclass(frozen=True)
class Run:
    """One comparison: a repository's base file, with or without a destination."""

    repo: str
    commit: str
    config: str  # path of the base file inside the repository
    destination: str | None

    @property
    def label(self) -> str:
        """`owner/repo config/deploy.yml -d staging`."""
        dest = f" -d {self.destination}" if self.destination else ""
        return f"{self.repo} {self.config}{dest}"


def read_list(path: Path = LIST) -> list[tuple[str, str, str]]:
    """(repository, commit, path) per line; `#` comments and blank lines skipped."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            repo, commit, file = line.split()
            entries.append((repo, commit, file))
    return entries


def runs(entries: list[tuple[str, str, str]]) -> list[Run]:
    """Every base file, then each destination overlay found next to it."""
    found: list[Run] = []
    by_repo: dict[tuple[str, str], list[str]] = {}
    for repo, commit, file in entries:
        by_repo.setdefault((repo, commit), []).append(file)
    for (repo, commit), files in sorted(by_repo.items()):
        for base in sorted(f for f in files if not _overlay_of(f, files)):
            found.append(Run(repo, commit, base, None))
            stem = base.removesuffix(".yml")
            for file in sorted(files):
                if file != base and file.startswith(stem + ".") and _overlay_of(file, files):
                    found.append(Run(repo, commit, base, file[len(stem) + 1 : -len(".yml")]))
    return found


def _overlay_of(file: str, files: list[str]) -> bool:
    """`config/deploy.staging.yml` is an overlay when `config/deploy.yml` is listed too."""
    name = Path(file).name
    head = name.split(".")[0]
    return name.count(".") >= 2 and str(Path(file).with_name(head + ".yml")) in files


def collect(entries: list[tuple[str, str, str]], mirrors: Path | None, corpus: Path) -> None:
    """Copy each listed file into corpus/<owner+repo>/<path> from a mirror or raw GitHub."""
    for repo, commit, file in entries:
        target = corpus / repo.replace("/", "+") / file
        target.parent.mkdir(parents=True, exist_ok=True)
        mirror = mirrors / repo.replace("/", "+") / "repo" if mirrors else None
        if mirror and mirror.is_dir():
            shown = subprocess.run(
                ["git", "-C", str(mirror), "show", f"{commit}:{file}"],
                capture_output=True,
                check=True,
            )
            target.write_bytes(shown.stdout)
        else:
            url = f"https://raw.githubusercontent.com/{repo}/{commit}/{file}"
            with urllib.request.urlopen(url, timeout=30) as response:
                target.write_bytes(response.read())


def _scratch_app(run: Run, corpus: Path, into: Path) -> dict[str, str]:
    """Write the app (config files, secrets, stubs); return the environment to run in."""
    source = corpus / run.repo.replace("/", "+")
    shutil.copytree(source, into, dirs_exist_ok=True)
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in into.rglob("*.yml"))
    names = sorted(set(_ENV_NAME.findall(text)))
    for name in set(_READ.findall(text)):
        dummy = into / name
        if not Path(name).is_absolute() and ".." not in Path(name).parts and not dummy.exists():
            dummy.parent.mkdir(parents=True, exist_ok=True)
            dummy.write_text("3.3.0\n")
    (into / ".kamal").mkdir(exist_ok=True)
    secrets = ["KAMAL_REGISTRY_PASSWORD", "RAILS_MASTER_KEY", *names]
    (into / ".kamal" / "secrets").write_text("".join(f"{n}=dummy\n" for n in secrets))
    stubs = into / ".stub-bin"
    stubs.mkdir()
    for name, body in _STUBS.items():
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "VERSION")}
    environ.update({name: f"x-{name.lower()}" for name in names})
    environ.update(
        VERSION="compat-1",
        PATH=f"{stubs}{os.pathsep}{environ.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), environ.get("PYTHONPATH")])),
    )
    return environ


def compare(run: Run, corpus: Path, kamal: str) -> dict[str, Any]:
    """Run both tools on one Run; the outcome and, when they differ, how."""
    with tempfile.TemporaryDirectory(prefix="kp-compat-") as directory:
        app = Path(directory)
        environ = _scratch_app(run, corpus, app)
        options = ["-c", run.config] if run.config != "config/deploy.yml" else []
        options += ["-d", run.destination] if run.destination else []
        theirs = subprocess.run(
            [kamal, "config", *options], cwd=app, env=environ, capture_output=True, text=True
        )
        ours = subprocess.run(
            [sys.executable, "-m", "kamalpy", "config", "--json", *options],
            cwd=app,
            env=environ,
            capture_output=True,
            text=True,
        )
    result: dict[str, Any] = {"run": run.label, "kamal_rc": theirs.returncode}
    result["kamalpy_rc"] = ours.returncode
    result["traceback"] = "Traceback" in ours.stderr or "internal error" in ours.stderr
    # Kamal prints its ERROR line on stdout.
    result["kamal_error"] = _last_line(theirs.stdout + theirs.stderr) if theirs.returncode else ""
    result["kamalpy_error"] = _last_line(ours.stderr) if ours.returncode else ""
    if theirs.returncode == 0 and ours.returncode == 0:
        expected = _kamal_values(theirs.stdout)
        got = json.loads(ours.stdout)
        differing = [key for key in SHARED_KEYS if got.get(key) != expected.get(key)]
        result["outcome"] = "identical" if not differing else "differs"
        result["differing"] = {key: [expected.get(key), got.get(key)] for key in differing}
    elif theirs.returncode != 0 and ours.returncode == 2:
        result["outcome"] = "both reject"
    elif theirs.returncode == 0:
        result["outcome"] = "kamal accepts, kamalpy rejects"
    elif ours.returncode == 0:
        result["outcome"] = "kamal rejects, kamalpy accepts"
    else:
        result["outcome"] = f"kamalpy failed (exit {ours.returncode})"
    return result


def _last_line(text: str) -> str:
    """The error line: Kamal's `ERROR (...)` line, else the last line that is not a warning."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("warning:")]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or [""])[-1 if not errors else 0][:160]


def table(results: list[dict[str, Any]]) -> str:
    """Markdown: one row per run."""
    rows = ["| run | Kamal 2.11 | kamalpy | outcome |", "|---|---|---|---|"]
    for item in results:
        kamal = "ok" if item["kamal_rc"] == 0 else f"error: {item['kamal_error']}"
        ours = (
            "ok"
            if item["kamalpy_rc"] == 0
            else f"exit {item['kamalpy_rc']}: {item['kamalpy_error']}"
        )
        outcome = item["outcome"]
        if item.get("differing"):
            outcome += " (" + ", ".join(item["differing"]) + ")"
        cells = [item["run"], kamal, ours, outcome]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    same = sum(r["outcome"] in ("identical", "both reject") for r in results)
    tracebacks = sum(r["traceback"] for r in results)
    rows.append("")
    share = 100 * same / max(len(results), 1)
    rows.append(
        f"{len(results)} runs, {same} identical results ({share:.1f}%), {tracebacks} tracebacks."
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """`collect` or `run` (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tests.compat.study")
    sub = parser.add_subparsers(dest="command", required=True)
    collect_cmd = sub.add_parser("collect")
    collect_cmd.add_argument("--mirrors", type=Path)
    collect_cmd.add_argument("--corpus", type=Path, required=True)
    run_cmd = sub.add_parser("run")
    run_cmd.add_argument("--corpus", type=Path, required=True)
    run_cmd.add_argument("--kamal", type=lambda p: str(Path(p).absolute()), default="kamal")
    run_cmd.add_argument("--json", type=Path, help="also write every result here")
    args = parser.parse_args(argv)
    entries = read_list()
    if args.command == "collect":
        collect(entries, args.mirrors, args.corpus)
        return 0
    results = []
    for run in runs(entries):
        results.append(compare(run, args.corpus, args.kamal))
        print(f"{results[-1]['outcome']:32} {run.label}", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
