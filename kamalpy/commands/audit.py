"""Pure builders for the audit log: one timestamped line per action, appended on each host."""

from __future__ import annotations

Argv = tuple[str, ...]


def audit_log_path(service: str, destination: str | None) -> str:
    """`.kamal/<service>[-<dest>]-audit.log`, relative to the ssh user's home."""
    return ".kamal/" + "-".join(p for p in (service, destination, "audit.log") if p)


def audit_line(
    message: str,
    *,
    recorded_at: str,
    performer: str,
    destination: str | None = None,
    role: str | None = None,
) -> str:
    """`[time] [performer] [dest] [role] message`, newlines folded: each action is one line."""
    tags = [recorded_at, performer, *(t for t in (destination, role) if t)]
    flat = " ".join(message.splitlines())
    return " ".join(f"[{t}]" for t in tags) + " " + flat


def record_argv(service: str, destination: str | None, line: str) -> Argv:
    """Append one line to the audit log (the directory is created when missing)."""
    script = 'mkdir -p .kamal && printf "%s\\n" "$2" >> "$1"'
    return ("sh", "-c", script, "kamalpy-audit", audit_log_path(service, destination), line)


def reveal_argv(service: str, destination: str | None, lines: int = 50) -> Argv:
    """The last `lines` lines of the audit log."""
    return ("tail", "-n", str(lines), audit_log_path(service, destination))
