"""Read deploy.yml (+ deploy.<dest>.yml), validate, resolve into frozen objects.

Public API: `load_config`, the model classes in `kamalpy.config.model`, `GitInfo`.
"""

from __future__ import annotations

from kamalpy.config.gitinfo import GitInfo, git_info_from_files
from kamalpy.config.loader import load_config
from kamalpy.config.model import Configuration

__all__ = ["Configuration", "GitInfo", "git_info_from_files", "load_config"]
