"""What loading a deploy.yml read besides the file itself, so a loaded result can be reused safely.

ERB may read environment variables, HEAD, other files and command output, and loading may
warn. `LoadTrace` records the environment variables read (name and value) and whether HEAD was
asked for; anything it cannot replay later (a file read by ERB, a command run, a warning, the
environment listed whole) marks the load as not reusable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class LoadTrace:
    """The environment variables one load read, whether ERB asked for HEAD, why not reusable."""

    env: dict[str, str | None] = field(default_factory=dict)
    head: bool = False
    opaque: list[str] = field(default_factory=list)  # what the load did that cannot be replayed

    @property
    def reusable(self) -> bool:
        """True when the load depended only on its files, `env` and (if `head`) HEAD."""
        return not self.opaque

    def watch(self, environ: Mapping[str, str]) -> Mapping[str, str]:
        """`environ`, recording every variable looked up."""
        return _Watched(environ, self)

    def opaque_call(self, what: str, call: Callable[..., T]) -> Callable[..., T]:
        """`call`, marking the load as not reusable when it is made."""

        def wrapped(*args: object) -> T:
            self.opaque.append(what)
            return call(*args)

        return wrapped

    def head_call(self, call: Callable[[], T]) -> Callable[[], T]:
        """`call` (HEAD for ERB), recording that HEAD was read."""

        def wrapped() -> T:
            self.head = True
            return call()

        return wrapped


class _Watched(Mapping[str, str]):
    def __init__(self, environ: Mapping[str, str], trace: LoadTrace) -> None:
        self._environ = environ
        self._trace = trace

    def __getitem__(self, name: str) -> str:
        value = self._environ.get(name)
        self._trace.env[name] = value
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        self._trace.env[name] = self._environ.get(name)
        return name in self._environ

    def __iter__(self) -> Iterator[str]:
        self._trace.opaque.append("listed the environment")
        return iter(self._environ)

    def __len__(self) -> int:
        self._trace.opaque.append("listed the environment")
        return len(self._environ)
