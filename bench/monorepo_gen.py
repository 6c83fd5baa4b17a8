"""Generate a synthetic monorepo for the plan benchmark: services, shared libraries, history.

Run: python bench/monorepo_gen.py OUT [--services 500] [--files 100000] [--commits 1000]

The layout is what a real uv monorepo looks like to kamalpy: `services/svc-NNN/` with a
deploy.yml (ERB, proxy, env, builder args), a Dockerfile, a .dockerignore and a pyproject.toml
whose `[tool.uv.sources]` points at 1-3 of `libs/lib-NN/` by path; libraries depend on each
other (a tree, so dependencies are transitive); every 25th service builds from the repository
root and COPYs its libraries. The history is written with one `git fast-import` stream (the
first commit adds every file, each later one edits a few), so 100k files and 1,000 commits take
seconds. Everything is seeded: the same arguments give the same repository, blob for blob.
"""

from __future__ import annotations

import argparse
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT_CONTEXT_EVERY = 25  # every Nth service builds from the repository root
FILES_PER_DIR = 20
_EPOCH = 1_700_000_000


@dataclass(frozen=True)
class Shape:
    """How big the repository is."""

    services: int = 500
    files: int = 100_000
    commits: int = 1_000
    hosts: tuple[str, ...] = ("h1", "h2", "h3")
    seed: int = 9

    @property
    def libs(self) -> int:
        """One shared library per dozen services (at least two)."""
        return max(2, self.services // 12)


@dataclass
class Layout:
    """Every file of the first commit (path -> text) and who depends on which library."""

    files: dict[str, str] = field(default_factory=dict)
    lib_deps: dict[int, tuple[int, ...]] = field(default_factory=dict)
    service_libs: dict[int, tuple[int, ...]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # files later commits edit


def service_name(number: int) -> str:
    """`svc-007`."""
    return f"svc-{number:03d}"


def lib_name(number: int) -> str:
    """`lib-07`."""
    return f"lib-{number:02d}"


def dependents(layout: Layout, lib: int) -> set[str]:
    """Services that use `lib`, directly or through other libraries."""
    closure = {}
    for number, libs in layout.service_libs.items():
        seen, queue = set(libs), list(libs)
        while queue:
            for dep in layout.lib_deps[queue.pop()]:
                if dep not in seen:
                    seen.add(dep)
                    queue.append(dep)
        closure[number] = seen
    return {service_name(n) for n, libs in closure.items() if lib in libs}


def _module(kind: str, name: str, index: int, revision: int = 0) -> str:
    return (
        f'"""{kind} {name}, module {index}."""\n\n'
        f"REVISION = {revision}\n\n\n"
        f"def handler_{index}(value: int) -> int:\n"
        f"    return value * {index + 1} + REVISION\n"
    )


def _spread(directory: str, count: int, suffix: str) -> Iterator[tuple[str, int]]:
    """`count` file paths below `directory`, at most FILES_PER_DIR per folder."""
    for index in range(count):
        yield f"{directory}/pkg{index // FILES_PER_DIR:02d}/m{index:03d}{suffix}", index


def _pyproject(name: str, deps: dict[str, str]) -> str:
    listed = ", ".join(f'"{d}"' for d in deps)
    text = f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = [{listed}]\n'
    if deps:
        text += "\n[tool.uv.sources]\n"
        text += "".join(f'{d} = {{ path = "{path}" }}\n' for d, path in deps.items())
    return text


def _deploy_yml(shape: Shape, number: int, root_context: bool) -> str:
    name = service_name(number)
    hosts = "".join(f"      - {h}\n" for h in shape.hosts[: 1 + number % len(shape.hosts)])
    context = '  context: "../.."\n  dockerfile: Dockerfile\n' if root_context else ""
    return (
        f"service: {name}\n"
        f"image: bench/{name}\n"
        "servers:\n  web:\n    hosts:\n" + hosts + "  jobs:\n    hosts:\n"
        f"      - {shape.hosts[-1]}\n    cmd: bin/jobs --queue {name}\n    proxy: false\n"
        f"proxy:\n  host: {name}.example.com\n  app_port: 8000\n"
        "  healthcheck:\n    path: /up\n    interval: 2\n"
        "registry:\n  server: registry.example.com\n  username: bench\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"
        "builder:\n  arch: amd64\n" + context + "  args:\n"
        '    PYTHON: "3.12"\n'
        "env:\n  clear:\n"
        f'    SERVICE_NAME: {name}\n    REGION: <%= ENV.fetch("BENCH_REGION", "eu-1") %>\n'
        f'    WORKERS: "{1 + number % 4}"\n'
        "    LOG_LEVEL: info\n"
        "readiness_delay: 3\ndeploy_timeout: 30\n"
    )


def _dockerfile(number: int, libs: tuple[int, ...], root_context: bool) -> str:
    text = "ARG PYTHON\nFROM python:${PYTHON}-slim\nWORKDIR /app\n"
    if root_context:
        folder = f"services/{service_name(number)}"
        text += "".join(f"COPY libs/{lib_name(lib)}/ /libs/{lib_name(lib)}/\n" for lib in libs)
        return text + f"COPY {folder}/pyproject.toml ./\nCOPY {folder}/src/ ./src/\n"
    return text + "COPY pyproject.toml ./\nCOPY src/ ./src/\nRUN pip install --no-deps .\n"


def layout(shape: Shape) -> Layout:
    """The first commit's files, sized so the total is `shape.files`."""
    rng = random.Random(shape.seed)
    out = Layout()
    out.files["README.md"] = "# bench monorepo\n"
    out.files["pyproject.toml"] = (
        '[tool.kamalpy]\nservices = "services/*/deploy.yml"\nglobal_inputs = [".python-version"]\n'
    )
    out.files[".python-version"] = "3.12\n"
    out.files[".gitignore"] = "__pycache__/\n.venv/\n"
    fixed_per_service, fixed_per_lib = 5, 1  # deploy.yml Dockerfile .dockerignore pyproject README
    spare = shape.files - len(out.files) - shape.services * fixed_per_service
    spare -= shape.libs * fixed_per_lib
    lib_share = spare // 10
    for lib in range(shape.libs):
        out.lib_deps[lib] = (rng.randrange(lib),) if lib and rng.random() < 0.7 else ()
        folder = f"libs/{lib_name(lib)}"
        deps = {lib_name(d): f"../{lib_name(d)}" for d in out.lib_deps[lib]}
        out.files[f"{folder}/pyproject.toml"] = _pyproject(lib_name(lib), deps)
        count = lib_share // shape.libs + (1 if lib < lib_share % shape.libs else 0)
        for path, index in _spread(f"{folder}/src", count, ".py"):
            out.files[path] = _module("library", lib_name(lib), index)
            out.sources.append(path)
    per_service = spare - lib_share
    for number in range(shape.services):
        name, folder = service_name(number), f"services/{service_name(number)}"
        libs = tuple(sorted(rng.sample(range(shape.libs), k=min(shape.libs, rng.randint(1, 3)))))
        out.service_libs[number] = libs
        root_context = number % ROOT_CONTEXT_EVERY == ROOT_CONTEXT_EVERY - 1
        deps = {lib_name(lib): f"../../libs/{lib_name(lib)}" for lib in libs}
        out.files[f"{folder}/deploy.yml"] = _deploy_yml(shape, number, root_context)
        out.files[f"{folder}/Dockerfile"] = _dockerfile(number, libs, root_context)
        out.files[f"{folder}/.dockerignore"] = "**/__pycache__\n*.md\ntests/\n"
        out.files[f"{folder}/pyproject.toml"] = _pyproject(name, deps)
        out.files[f"{folder}/README.md"] = f"# {name}\n"
        count = per_service // shape.services + (1 if number < per_service % shape.services else 0)
        tests = count // 5
        for path, index in _spread(f"{folder}/src", count - tests, ".py"):
            out.files[path] = _module("service", name, index)
            out.sources.append(path)
        for path, index in _spread(f"{folder}/tests", tests, "_test.py"):
            out.files[path] = _module("test", name, index)
    return out


def _data(text: str) -> bytes:
    raw = text.encode("utf-8")
    return b"data %d\n%s\n" % (len(raw), raw)


def _commit(number: int, message: str, changes: dict[str, str], first: bool) -> bytes:
    when = _EPOCH + number * 60
    head = b"commit refs/heads/main\nmark :%d\n" % (number + 1)
    head += b"author Bench <bench@example.com> %d +0000\n" % when
    head += b"committer Bench <bench@example.com> %d +0000\n" % when
    head += _data(message)
    if not first:
        head += b"from :%d\n" % number
    body = b"".join(b"M 100644 inline %s\n%s" % (p.encode(), _data(t)) for p, t in changes.items())
    return head + body + b"\n"


def stream(shape: Shape, made: Layout) -> Iterator[bytes]:
    """The fast-import stream: every file in commit 1, then a few edits per commit."""
    rng = random.Random(shape.seed + 1)
    yield _commit(0, "the monorepo", made.files, first=True)
    current = dict(made.files)
    for number in range(1, shape.commits):
        changes = {}
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(made.sources)
            changes[path] = current[path] + f"# edit {number}\n"
        if number % 10 == 0:  # now and then a runtime-only change
            path = f"services/{service_name(rng.randrange(shape.services))}/deploy.yml"
            changes[path] = current[path].replace("LOG_LEVEL: info", f"LOG_LEVEL: info{number}")
        current.update(changes)
        yield _commit(number, f"change {number}", changes, first=False)


def generate(out: Path, shape: Shape) -> Layout:
    """Write the repository at `out` (must not exist): history, index and working tree."""
    out.mkdir(parents=True)
    git = ["git", "-C", str(out)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    made = layout(shape)
    importer = subprocess.Popen([*git, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for chunk in stream(shape, made):
        importer.stdin.write(chunk)
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run([*git, "checkout", "-q", "-f", "main"], check=True)
    return made


def main(argv: list[str] | None = None) -> int:
    """Generate a monorepo; print what was made."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--services", type=int, default=Shape.services)
    parser.add_argument("--files", type=int, default=Shape.files)
    parser.add_argument("--commits", type=int, default=Shape.commits)
    parser.add_argument("--seed", type=int, default=Shape.seed)
    args = parser.parse_args(argv)
    shape = Shape(args.services, args.files, args.commits, seed=args.seed)
    made = generate(args.out, shape)
    print(f"{args.out}: {shape.services} services, {shape.libs} libraries, "
          f"{len(made.files)} files, {shape.commits} commits")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
