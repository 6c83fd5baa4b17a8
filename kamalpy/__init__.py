"""kamalpy: zero-downtime deploys of monorepo services over ssh and docker, Kamal-compatible."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kamalpy")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
