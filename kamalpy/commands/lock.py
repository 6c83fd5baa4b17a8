"""Pure builders for the deploy lock: an atomic `mkdir` on the primary host plus a details file.

The details file holds base64 text, as Kamal writes it, so `kamal lock status` can read it too.
Kamalpy adds two lines Kamal ignores (`Holder:` and `Command:`) and a `heartbeat` file the holder
touches while it runs, so a lock whose holder is gone can be told from one that is in use.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass

Argv = tuple[str, ...]


@dataclass(frozen=True)
class Holder:
    """The process that holds a lock: enough to prove, on its machine, that it is gone."""

    user: str
    machine: str
    pid: int
    started: str  # the process's start time in clock ticks since boot (/proc/PID/stat)
    boot_id: str
    pid_namespace: str  # containers share a kernel (boot id) but not pid numbers
    command: str


def lock_dir(service: str, destination: str | None) -> str:
    """`.kamal/lock-<service>[-<dest>]`, relative to the ssh user's home."""
    return ".kamal/lock-" + "-".join(p for p in (service, destination) if p)


def details_text(
    *,
    performer: str,
    recorded_at: str,
    version: str,
    message: str,
    holder: Holder | None = None,
) -> str:
    """Who holds the lock, since when, for which version and why (and which process, if any)."""
    text = f"Locked by: {performer} at {recorded_at}\nVersion: {version}\nMessage: {message}"
    if holder is None:  # `lock acquire` by hand: held until released, never stale by itself
        return text
    process = (
        f"Holder: user={holder.user} machine={holder.machine} pid={holder.pid} "
        f"started={holder.started} boot={holder.boot_id} pidns={holder.pid_namespace}"
    )
    return f"{text}\n{process}\nCommand: {holder.command}"


_HOLDER = re.compile(r"^Holder: (.*)$", re.MULTILINE)
_COMMAND = re.compile(r"^Command: (.*)$", re.MULTILINE)


def parse_holder(details: str) -> Holder | None:
    """The holder recorded in a lock's details; None for Kamal's locks and manual ones."""
    found = _HOLDER.search(details)
    if found is None:
        return None
    fields = dict(part.partition("=")[::2] for part in found.group(1).split())
    command = _COMMAND.search(details)
    try:
        return Holder(
            user=fields["user"], machine=fields["machine"], pid=int(fields["pid"]),
            started=fields["started"], boot_id=fields["boot"],
            pid_namespace=fields.get("pidns", ""), command=command.group(1) if command else "",
        )  # fmt: skip
    except (KeyError, ValueError):
        return None


def stale_reason(
    details: str,
    heartbeat_age: int | None,
    me: Holder,
    *,
    running: Callable[[int, str], bool],
    stale_after: float,
) -> str | None:
    """Why the lock with these details is stale, or None while its holder may still run.

    Provably gone: same machine, same boot and pid namespace, and that process no longer runs
    (`running(pid, started)`), or the machine rebooted since. Otherwise: a heartbeat older than
    `stale_after` seconds. A lock without a holder (Kamal's, or `lock acquire`) is never stale.
    """
    holder = parse_holder(details)
    if holder is None:
        return None
    where = f"pid {holder.pid} on {holder.machine}"
    if holder.machine == me.machine:
        if holder.boot_id != me.boot_id:
            return f"{where} ran before {holder.machine} restarted"
        if holder.pid_namespace == me.pid_namespace and not running(holder.pid, holder.started):
            return f"{where} is gone"
    if heartbeat_age is not None and heartbeat_age > stale_after:
        return f"{where} sent no heartbeat for {heartbeat_age}s (limit {stale_after:g}s)"
    return None


def encode(details: str) -> str:
    """The details as Kamal stores them: base64 on one line."""
    return base64.b64encode(details.encode()).decode()


_WRITE = 'printf "%s\\n" "$2" > "$1/details" && touch "$1/heartbeat"'


def acquire_argv(service: str, destination: str | None, details: str) -> Argv:
    """mkdir fails when the lock exists (atomic); only the winner writes details and heartbeat."""
    script = f'mkdir -p .kamal && mkdir "$1" && {_WRITE}'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination), encode(details))


# One takeover at a time (its own mkdir guard; a guard older than a minute is a killed
# takeover's). The stale lock is removed only if its details are still the ones judged stale,
# so a lock that changed hands meanwhile is left alone and the mkdir below loses.
_TAKEOVER = f"""mkdir -p .kamal
find .kamal -maxdepth 1 -name "${{1#.kamal/}}.takeover" -mmin +1 -exec rm -rf {{}} + 2>/dev/null
mkdir "$1.takeover" 2>/dev/null || exit 1
if [ "$(cat "$1/details" 2>/dev/null)" = "$3" ]; then rm -rf -- "$1"; fi
if mkdir "$1" 2>/dev/null && {_WRITE}; then rmdir "$1.takeover"; exit 0; fi
rmdir "$1.takeover"; exit 1"""


def takeover_argv(service: str, destination: str | None, details: str, stale_stored: str) -> Argv:
    """Replace the lock whose details file reads `stale_stored` with ours; exit 1 if it changed."""
    directory = lock_dir(service, destination)
    return ("sh", "-c", _TAKEOVER, "kamalpy-lock", directory, encode(details), stale_stored)


def heartbeat_argv(service: str, destination: str | None, details: str) -> Argv:
    """Touch the heartbeat while the lock is still ours (after a takeover it is not)."""
    script = '[ "$(cat "$1/details" 2>/dev/null)" = "$2" ] && touch "$1/heartbeat"'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination), encode(details))


def release_argv(service: str, destination: str | None) -> Argv:
    """Remove the lock directory whoever holds it; print `released` or `none`."""
    script = '[ -d "$1" ] || { echo none; exit 0; }; rm -rf -- "$1" && echo released'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination))


def release_own_argv(service: str, destination: str | None, details: str) -> Argv:
    """Remove the lock only while it is ours: a deploy never frees a lock taken over from it."""
    script = '[ "$(cat "$1/details" 2>/dev/null)" = "$2" ] && rm -rf -- "$1"; exit 0'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination), encode(details))


def status_argv(service: str, destination: str | None) -> Argv:
    """Print the decoded details and the heartbeat's age when locked; exit 1 when not."""
    script = (
        'test -d "$1" || exit 1; d=$(base64 -d < "$1/details" 2>/dev/null) || d="(no details)"\n'
        'printf "%s\\n" "$d"\n' + _AGE + '[ -z "$age" ] || echo "Heartbeat: ${age}s ago"'
    )
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination))


_AGE = 'age=; [ -f "$1/heartbeat" ] && age=$(( $(date +%s) - $(stat -c %Y "$1/heartbeat") ))\n'


def inspect_argv(service: str, destination: str | None) -> Argv:
    """For takeovers: the details exactly as stored, then the heartbeat's age (`-`: none)."""
    script = 'test -d "$1" || exit 1; head -n 1 "$1/details" 2>/dev/null; echo\n' + _AGE
    script += 'echo "${age:--}"'
    return ("sh", "-c", script, "kamalpy-lock", lock_dir(service, destination))


@dataclass(frozen=True)
class Inspected:
    """A held lock as `inspect_argv` reports it."""

    stored: str  # base64, as in the details file
    heartbeat_age: int | None

    @property
    def details(self) -> str:
        """The decoded details text (empty when unreadable)."""
        try:
            return base64.b64decode(self.stored, validate=True).decode()
        except ValueError:
            return ""


def parse_inspect(output: str) -> Inspected:
    """`inspect_argv`'s output as a value."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    stored = lines[0] if len(lines) > 1 else ""
    age = lines[-1] if lines else "-"
    return Inspected(stored, int(age) if age.isdigit() else None)
