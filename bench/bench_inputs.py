"""Micro benchmark: every service's image inputs over a synthetic 100k-file monorepo Tree.

Run: python bench/bench_inputs.py [SERVICES] [FILES]   (defaults 500 and 100000)

Builds the Tree in memory (no disk, no git): SERVICES services, a tenth as many shared
libraries chained by uv path dependencies (lib-0 -> lib-1 -> ... in runs of ten), every
service depending on two libraries; every fifth service builds from the repository root
with COPY of its libraries, the others from their own directory with a .dockerignore. Times
`all_service_inputs` twice in one process (the first pays the regex caches) and prints the
input counts, the two wall times and the process's peak RSS. Target: well under 1 s.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from kamalpy.config.model import (
    Boot,
    Builder,
    Configuration,
    Env,
    KamalpyExtras,
    Logging,
    Registry,
    Role,
    Ssh,
    Sshkit,
    frozen_map,
)
from kamalpy.monorepo.inputs import all_service_inputs
from kamalpy.monorepo.settings import monorepo_settings
from kamalpy.monorepo.tree import Tree

REPO = Path("/repo")


def synthetic_repo(services: int, files: int) -> dict[str, str]:
    """Path -> content of a monorepo with `services` services and about `files` files."""
    libs = max(services // 10, 2)
    repo = {
        "pyproject.toml": '[tool.kamalpy]\nglobal_inputs = ["uv.lock"]\n',
        "uv.lock": "",
        "README.md": "",
    }
    for lib in range(libs):
        nxt = f'[tool.uv.sources]\nlib-{lib + 1} = {{ path = "../lib-{lib + 1}" }}\n'
        chained = lib % 10 != 9 and lib + 1 < libs
        repo[f"libs/lib-{lib}/pyproject.toml"] = f'[project]\nname = "lib-{lib}"\n' + (
            nxt if chained else ""
        )
    for number in range(services):
        repo.update(_service(number, libs))
    per_dir = max((files - len(repo)) // (services + libs), 1)
    owners = [f"services/svc-{n}" for n in range(services)] + [f"libs/lib-{n}" for n in range(libs)]
    for owner in owners:
        for index in range(per_dir):
            repo[f"{owner}/src/pkg{index % 7}/mod{index}.py"] = ""
    return repo


def _service(number: int, libs: int) -> dict[str, str]:
    base = f"services/svc-{number}"
    first, second = number % libs, (number * 7 + 3) % libs
    sources = "".join(
        f'lib-{lib} = {{ path = "../../libs/lib-{lib}" }}\n' for lib in (first, second)
    )
    root_context = number % 5 == 0
    copies = (
        f"COPY libs/lib-{first} /app/libs/a\nCOPY {base} /app\n"
        if root_context
        else "COPY . /app\n"
    )
    files = {
        f"{base}/deploy.yml": f"service: svc-{number}\n",
        f"{base}/Dockerfile": f"ARG PY=3.11\nFROM python:${{PY}}-slim\nWORKDIR /app\n{copies}",
        f"{base}/pyproject.toml": f'[project]\nname = "svc-{number}"\n[tool.uv.sources]\n{sources}',
    }
    if not root_context:
        files[f"{base}/.dockerignore"] = "**/__pycache__\n*.md\n!README.md\ntests/\n"
    return files


def configuration(number: int) -> Configuration:
    """A minimal resolved Configuration for services/svc-<number>."""
    root = REPO / f"services/svc-{number}"
    env = Env(frozen_map({}), ())
    role = Role(
        "web", ("10.0.0.1",), frozen_map(), (), (), frozen_map(), env, Logging(), None, True
    )
    builder = Builder(arch=("amd64",), context="../.." if number % 5 == 0 else None)
    return Configuration(
        path=root / "deploy.yml", root=root, service=f"svc-{number}", image=f"svc-{number}",
        version="v1", destination=None, primary_role="web", roles=(role,),
        registry=Registry(server="127.0.0.1:5000"), builder=builder, env=env, volumes=(),
        labels=frozen_map(), logging=Logging(), ssh=Ssh(), sshkit=Sshkit(), boot=Boot(),
        proxy=None, accessories=(), aliases=frozen_map(), extras=KamalpyExtras(),
    )  # fmt: skip


def main(argv: list[str]) -> None:
    services = int(argv[0]) if argv else 500
    files = int(argv[1]) if len(argv) > 1 else 100_000
    contents = synthetic_repo(services, files)
    tree = Tree(
        {path: f"{hash(path) & 0xFFFFFFFF:040x}" for path in contents},
        read=lambda path: contents[path].encode(),
    )
    configs = [configuration(n) for n in range(services)]
    print(f"{len(tree.paths)} files, {services} services")
    for label in ("first", "second"):
        started, cpu = time.perf_counter(), time.process_time()
        settings = monorepo_settings(tree)
        found = all_service_inputs(tree, configs, repo_root=REPO, settings=settings)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        inputs = sum(len(item.files) for item in found)
        print(f"{label}: {elapsed:.3f} s wall, {cpu:.3f} s CPU for {inputs} input entries")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
