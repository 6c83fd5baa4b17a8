"""Encrypted secrets store: format, crypto (pure bytes in/out), identities, editing.

The public API for other layers and nox sessions is re-exported here; see docs/secrets.md.
"""

from __future__ import annotations

from kamalpy.secrets.api import (
    get_secrets,
    list_names,
    resolve_secrets,
    rotate,
    set_secrets,
    unset_secrets,
)
from kamalpy.secrets.identity import Identity, load_identity
from kamalpy.secrets.members import (
    add_recipient,
    init,
    pending_changes,
    remove_recipient,
    sync,
    verify,
)
from kamalpy.secrets.store import find_root, search_path

__all__ = [
    "Identity",
    "add_recipient",
    "find_root",
    "get_secrets",
    "init",
    "list_names",
    "load_identity",
    "pending_changes",
    "remove_recipient",
    "resolve_secrets",
    "rotate",
    "search_path",
    "set_secrets",
    "sync",
    "unset_secrets",
    "verify",
]
