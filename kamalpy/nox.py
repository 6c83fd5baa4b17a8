"""Reusable nox sessions for monorepos; thin wrappers over the same API the CLI uses."""

from __future__ import annotations
