"""Read deploy.yml (+ deploy.<dest>.yml), validate, resolve into frozen objects.

Public API: `load_config`, the model classes in `kamalpy.config.model`, `GitInfo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kamalpy.config.gitinfo import GitInfo, git_info_from_files
    from kamalpy.config.loader import load_config
    from kamalpy.config.model import Configuration

__all__ = ["Configuration", "GitInfo", "git_info_from_files", "load_config"]
_HOMES = {
    "Configuration": "kamalpy.config.model",
    "GitInfo": "kamalpy.config.gitinfo",
    "git_info_from_files": "kamalpy.config.gitinfo",
    "load_config": "kamalpy.config.loader",
}


def __getattr__(name: str) -> Any:
    # Importing the loader (ERB, YAML, validation rules, schema) costs a fifth of a second; a
    # plan whose services all come from the plan cache never loads a deploy.yml, and
    # importing `kamalpy.config.model` alone must not pull it in.
    if name not in _HOMES:
        raise AttributeError(f"module 'kamalpy.config' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_HOMES[name]), name)
