"""Pure builders for the deploy lock: an atomic `mkdir` on the primary host plus a details file.

The details file holds base64 text, as Kamal writes it, so `kamal lock status` can read it too.
"""

from __future__ import annotations

import base64

Argv = tuple[str, ...]


def lock_dir(service: str, destination: str | None) -> str:
    """`.kamal/lock-<service>[-<dest>]`, relative to the ssh user's home."""
    return ".kamal/lock-" + "-".join(p for p in (service, destination) if p)


def details_text(*, performer: str, recorded_at: str, version: str, message: str) -> str:
    """Who holds the lock, since when, for which version and why."""
    return f"Locked by: {performer} at {recorded_at}\nVersion: {version}\nMessage: {message}"


def acquire_argv(service: str, destination: str | None, details: str) -> Argv:
    """mkdir fails when the lock exists (atomic); only the winner writes the details file."""
    encoded = base64.b64encode(details.encode()).decode()
    script = 'mkdir -p .kamal && mkdir "$1" && printf "%s\\n" "$2" > "$1/details"'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination), encoded)


def release_argv(service: str, destination: str | None) -> Argv:
    """Remove the lock directory and its details."""
    return ("rm", "-rf", "--", lock_dir(service, destination))


def status_argv(service: str, destination: str | None) -> Argv:
    """Print the decoded details when locked; exit 1 and print nothing when not."""
    script = 'test -d "$1" || exit 1; base64 -d < "$1/details" 2>/dev/null || echo "(no details)"'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination))
