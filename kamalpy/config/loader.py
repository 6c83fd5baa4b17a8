"""The pipeline from files to a Configuration: ERB, YAML with marks, overlay, validate, resolve."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kamalpy.config.erb import render
from kamalpy.config.erbexpr import ErbContext, ShellOutput
from kamalpy.config.gitinfo import GitInfo, git_info_from_files
from kamalpy.config.model import Configuration
from kamalpy.config.resolve import Origin, build_configuration
from kamalpy.config.rules import check_rules
from kamalpy.config.rules_kamal import check_kamal_rules
from kamalpy.config.rules_safety import check_safety
from kamalpy.config.trace import LoadTrace
from kamalpy.config.validate import Problem, validate_document
from kamalpy.config.yamlmarks import Marks, deep_merge, merge_marks, parse_yaml
from kamalpy.errors import ConfigError, Location


def load_config(
    path: Path,
    *,
    destination: str | None,
    environ: Mapping[str, str],
    version: str | None = None,
    git: GitInfo | None = None,
    shell: Callable[[str, Path], ShellOutput] | None = None,
    warn: Callable[[str], None] | None = None,
    trace: LoadTrace | None = None,
) -> Configuration:
    """Load `path` (+ its `deploy.<destination>.yml`), validate all of it, resolve defaults.

    `environ` feeds ERB `ENV[...]` and `$VERSION`; `git` gives HEAD for the version (default:
    read from `.git` files, never dirty). `shell(command, directory)` runs ERB backticks (the
    CLI passes one built on the executor; without it only `git rev-parse` works, from `.git`
    files); `warn` gets one-line warnings. Raises ConfigError listing every problem with
    file, line, column and key path. `trace` records what else the load read (for caches).
    """
    root = config_root(path)
    git = git or git_info_from_files(root)
    context = ErbContext(
        environ,
        lambda: git.head,
        lambda name: _read(root / name),
        shell=(lambda command: shell(command, root)) if shell else None,
        warn=warn or (lambda _text: None),
        root=str(root.absolute()),
    )
    if trace is not None:
        environ = trace.watch(environ)
        context = _traced(context, environ, trace)
    data, marks = read_document(path, context)
    if destination:
        overlay_path = destination_path(path, destination)
        if not overlay_path.is_file():
            message = f"destination file not found (-d {destination} reads it over {path.name})"
            raise ConfigError([(Location(str(overlay_path)), message)])
        overlay, overlay_marks = read_document(overlay_path, context)
        data, marks = deep_merge(data, overlay), merge_marks(marks, overlay_marks)
    problems = validate_document(data)
    data = drop_empty(data)
    if not problems:
        problems = check_rules(data, destination) + check_kamal_rules(data) + check_safety(data)
    if problems:
        raise ConfigError(_locate(problems, marks, str(path)))
    chosen = resolve_version(version, environ, git, data.get("builder") or {})
    origin = Origin(path=path, root=root, destination=destination, version=chosen)
    config = build_configuration(data, origin)
    if trace is not None:  # files read while resolving, outside ERB: not replayable from a key
        if config.extras.acme_ca_certificates:
            trace.opaque.append("read the ACME CA certificates file")
        if config.error_pages_path:
            trace.opaque.append("read the error pages")
    return config


def _traced(context: ErbContext, environ: Mapping[str, str], trace: LoadTrace) -> ErbContext:
    """`context` reporting to `trace`: what it reads is recorded, what it cannot replay noted."""
    shell = context.shell
    return ErbContext(
        environ,
        trace.head_call(context.git_head),
        trace.opaque_call("ERB read a file", context.read_file),
        shell=trace.opaque_call("ERB ran a command", shell) if shell else None,
        warn=trace.opaque_call("warned", context.warn),
        root=context.root,
    )


def drop_empty(value: Any) -> Any:
    """Remove keys whose value is empty (`env:` with nothing under it): they count as absent."""
    if isinstance(value, dict):
        return {k: drop_empty(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_empty(item) for item in value]
    return value


def config_root(path: Path) -> Path:
    """Directory relative paths in the file refer to: the app root for config/deploy.yml."""
    parent = path.parent
    return parent.parent if parent.name == "config" else parent


def destination_path(path: Path, destination: str) -> Path:
    """`deploy.yml` -> `deploy.<destination>.yml` next to it."""
    return path.with_name(f"{path.stem}.{destination}{path.suffix}")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def read_document(path: Path, context: ErbContext) -> tuple[dict[str, Any], Marks]:
    """One file rendered through ERB and parsed; it must hold a mapping."""
    try:
        source = _read(path)
    except FileNotFoundError:
        raise ConfigError([(Location(str(path)), "configuration file not found")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([(Location(str(path)), f"cannot read: {error}")]) from None
    data, marks = parse_yaml(render(source, str(path), context), str(path), context.warn)
    if data is None:
        return {}, marks
    if not isinstance(data, dict):
        raise ConfigError([(Location(str(path), 1, 1), "should be a mapping of keys")])
    return data, marks


def _locate(problems: list[Problem], marks: Marks, file: str) -> list[tuple[Location, str]]:
    located = [(marks.location(p.path, at_key=p.at_key, file=file), p.message) for p in problems]
    return sorted(located, key=lambda item: (item[0].path, item[0].line or 0, item[0].column or 0))


def resolve_version(
    version: str | None, environ: Mapping[str, str], git: GitInfo, builder: Mapping[str, Any]
) -> str:
    """`--version`, else $VERSION, else HEAD (+ `_uncommitted_<hex>` for a dirty context build)."""
    if version:
        return version
    if environ.get("VERSION"):
        return environ["VERSION"]
    if git.head is None:
        raise ConfigError(
            [(Location("version"), "no version: pass --version, set VERSION, or commit to git")]
        )
    if builder.get("context") is not None and git.dirty():
        return f"{git.head}_uncommitted_{git.nonce()}"
    return git.head
