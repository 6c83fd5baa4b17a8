"""Small value types shared by the model: read-only maps, env, logging, secret references."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> Mapping[K, V]:
    """A read-only mapping that keeps insertion order."""
    return MappingProxyType(dict(items))


def _empty_map() -> Mapping[str, str]:
    return frozen_map()


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A secret env var: `name` in the container gets the value of secret `secret` (NAME:ALIAS)."""

    name: str
    secret: str

    @property
    def spec(self) -> str:
        """The form written in deploy.yml: `NAME` or `NAME:SECRET`."""
        return self.name if self.name == self.secret else f"{self.name}:{self.secret}"


@dataclass(frozen=True, slots=True)
class Env:
    """Environment variables: clear values, secret references, and per-host-tag overrides."""

    clear: Mapping[str, str] = field(default_factory=_empty_map)
    secrets: tuple[SecretRef, ...] = ()
    tags: Mapping[str, Env] = field(default_factory=frozen_map)

    def merge(self, other: Env) -> Env:
        """`other` over `self`: clear values override, secrets are added (by name), tags merge."""
        secrets = {ref.name: ref for ref in self.secrets}
        secrets.update({ref.name: ref for ref in other.secrets})
        tags = dict(self.tags)
        for tag, env in other.tags.items():
            tags[tag] = tags[tag].merge(env) if tag in tags else env
        clear = frozen_map({**self.clear, **other.clear})
        return Env(clear, tuple(secrets.values()), frozen_map(tags))

    def for_tags(self, host_tags: Iterable[str]) -> Env:
        """The env a host with these tags gets: base, then each tag's env in order; no tags left."""
        result = Env(self.clear, self.secrets)
        for tag in host_tags:
            if tag in self.tags:
                result = result.merge(self.tags[tag])
        return result

    @property
    def names(self) -> tuple[str, ...]:
        """Every variable name (clear and secret), sorted; no values."""
        return tuple(sorted({*self.clear, *(ref.name for ref in self.secrets)}))


@dataclass(frozen=True, slots=True)
class Logging:
    """Docker logging as configured: driver (None = docker's default) and options."""

    driver: str | None = None
    options: Mapping[str, str] = field(default_factory=_empty_map)

    def merge(self, other: Logging) -> Logging:
        """A role's logging over the top-level one: driver replaced if set, options merged."""
        return Logging(other.driver or self.driver, frozen_map({**self.options, **other.options}))

    @property
    def args(self) -> tuple[str, ...]:
        """`docker run` argv: `--log-driver D`, `--log-opt k=v`...; `max-size=10m` if unset."""
        if not self.driver and not self.options:
            return ("--log-opt", "max-size=10m")
        head = ("--log-driver", self.driver) if self.driver else ()
        opts = tuple(tok for k, v in self.options.items() for tok in ("--log-opt", f"{k}={v}"))
        return head + opts
