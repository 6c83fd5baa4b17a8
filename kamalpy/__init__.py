"""kamalpy: zero-downtime deploys of monorepo services over ssh and docker, Kamal-compatible."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # importlib.metadata costs tens of milliseconds: read the version only when asked for.
    if name != "__version__":
        raise AttributeError(f"module 'kamalpy' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kamalpy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"
