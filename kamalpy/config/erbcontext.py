"""What ERB expressions may touch: the environment, files, commands (through a callable)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kamalpy.config.dotenv import parse_dotenv
from kamalpy.config.erbmethods import Value

_GIT = {"git rev-parse HEAD": 0, "git rev-parse --short HEAD": 7}


class ErbError(Exception):
    """An ERB tag kamalpy cannot evaluate; carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class ShellOutput:
    """What a command in backticks gave: its stdout and exit status (stderr went to the user)."""

    stdout: str
    status: int


@dataclass(frozen=True, slots=True)
class ErbContext:
    """What ERB may see: the environment, git HEAD, files under the app root, a command runner.

    `shell` runs one command line in the app root (None: only `git rev-parse` from .git files);
    `warn` receives one-line warnings; `loaded` holds what `Dotenv.load` read, shared by the
    base file and its destination overlay as Ruby's ENV would be.
    """

    environ: Mapping[str, str]
    git_head: Callable[[], str | None]
    read_file: Callable[[str], str]
    shell: Callable[[str], ShellOutput] | None = None
    warn: Callable[[str], None] = lambda _text: None
    loaded: dict[str, str] = field(default_factory=dict)
    root: str = "."  # the app root, absolute, for File.expand_path

    def env(self, name: str) -> str | None:
        """ENV[name]: the real environment first (dotenv never overrides it), then .env files."""
        return self.environ[name] if name in self.environ else self.loaded.get(name)


@dataclass(slots=True)
class Scope:
    """One template's evaluation: its file (for messages), context and local variables."""

    file: str
    context: ErbContext
    locals: dict[str, Value] = field(default_factory=dict)


def load_dotenv(scope: Scope, line: int, names: list[str], *, override: bool, strict: bool) -> None:
    """Read dotenv files into ENV like the dotenv gem; missing files are skipped by `load`."""
    context = scope.context
    for name in names:
        try:
            text = context.read_file(name)
        except OSError as error:
            if strict:
                raise ErbError(line, f"Dotenv.load!({name!r}): {error.strerror}") from None
            continue
        for key, value in parse_dotenv(text, context.env).items():
            if override or context.env(key) is None:
                context.loaded[key] = value


def run_command(scope: Scope, line: int, command: str) -> Value:
    """Backticks: the command's stdout, never an error; a failure is one warning, as in Kamal."""
    context = scope.context
    if context.shell is None:
        return _git_from_files(scope, line, command)
    result = context.shell(command)
    if result.status != 0:
        shown = "empty output" if not result.stdout.strip() else "its output"
        context.warn(
            f"{scope.file}:{line}: `{command}` exited {result.status}; using {shown}, as Kamal does"
        )
    return result.stdout


def _git_from_files(scope: Scope, line: int, command: str) -> Value:
    normalized = " ".join(command.split())
    if normalized not in _GIT:
        raise ErbError(
            line,
            f"unsupported ERB expression `{command}` (only `git rev-parse [--short] HEAD` may run "
            "without a command runner)",
        )
    head = scope.context.git_head()
    if head is None:
        scope.context.warn(
            f"{scope.file}:{line}: `{command}`: not a git repository with commits; "
            "using empty output, as Kamal does"
        )
        return ""
    length = _GIT[normalized]
    return (head[:length] if length else head) + "\n"
