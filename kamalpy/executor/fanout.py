"""Bounded parallel fan-out across hosts with a result or an error per host, none hidden."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kamalpy.errors import ExitCode, KamalpyError
from kamalpy.executor.base import Target

T = TypeVar("T")


class HostsFailed(KamalpyError):
    """One or more hosts failed; the message lists every host's error."""

    def __init__(self, errors: Mapping[str, BaseException]) -> None:
        self.errors = dict(errors)
        lines = [f"{len(self.errors)} host(s) failed: {', '.join(self.errors)}"]
        lines += [_describe(host, error) for host, error in self.errors.items()]
        super().__init__("\n".join(lines))
        codes = [e.exit_code for e in self.errors.values() if isinstance(e, KamalpyError)]
        self.exit_code = max(codes, default=ExitCode.DEPLOY_FAILED)


def _describe(host: str, error: BaseException) -> str:
    if isinstance(error, KamalpyError):
        text = error.render()
        return text if text.startswith(f"{host}:") else f"{host}: {text}"
    return f"{host}: internal error: {type(error).__name__}: {error}"


@dataclass(frozen=True)
class HostResults(Generic[T]):
    """Per-host outcome of a fan-out, in the order the targets were given."""

    order: tuple[str, ...]
    results: dict[str, T] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every host succeeded."""
        return not self.errors

    @property
    def succeeded(self) -> list[str]:
        """Hosts that succeeded, in order."""
        return [host for host in self.order if host in self.results]

    @property
    def failed(self) -> list[str]:
        """Hosts that raised, in order."""
        return [host for host in self.order if host in self.errors]

    def __getitem__(self, host: str) -> T:
        """The host's result; re-raises the host's error if it failed."""
        if host in self.errors:
            raise self.errors[host]
        return self.results[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self.order)

    def raise_for_failures(self) -> None:
        """Raise HostsFailed naming every failed host (chained to the first error)."""
        if self.errors:
            first = next(iter(self.errors.values()))
            raise HostsFailed({h: self.errors[h] for h in self.failed}) from first


def on_hosts(
    targets: Iterable[Target], action: Callable[[Target], T], *, limit: int | None = None
) -> HostResults[T]:
    """Run action on each target in parallel (at most `limit` at once); collect all outcomes."""
    unique = list(dict.fromkeys(targets))
    names = tuple(t.name for t in unique)
    if len(set(names)) != len(names):
        raise ValueError(f"the same host appears with different settings: {names}")
    outcome: HostResults[T] = HostResults(order=names)
    if not unique:
        return outcome
    workers = max(1, min(limit or len(unique), len(unique)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kamalpy-host") as pool:
        futures = {t.name: pool.submit(action, t) for t in unique}
    for name, future in futures.items():
        error = future.exception()
        if error is None:
            outcome.results[name] = future.result()
        else:
            outcome.errors[name] = error
    return outcome
