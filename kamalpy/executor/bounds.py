"""How long a remote command may run: a bound per kind of command, enforced on the host.

A hung dockerd on a live ssh connection answers no keepalive-based check: the connection is
fine, the command just never ends. So every remote command runs under `timeout` on the host
(killing the command's whole process group there, not only our ssh client) with a bound
picked from its argv: quick queries and container changes get `quick`, commands that move
images or run user work (pull, load, push, build, run, exec) get `long`, `docker stop -t N`
gets `quick + N`. A bound the caller passes explicitly wins.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_BOUNDS",
    "CommandBounds",
    "bound_for",
    "bounded_argv",
    "bounds_from",
    "timed_out",
]

# docker verbs that may take as long as an image transfer or a user's one-off command.
_LONG_VERBS = frozenset({"pull", "load", "push", "build", "buildx", "run", "exec", "import"})
# The same verbs inside a host script (`sh -c '... docker pull ...'`).
_LONG_IN_SCRIPT = re.compile(r"\bdocker\s+(?:image\s+|container\s+)?(?:" +
                             "|".join(sorted(_LONG_VERBS)) + r")\b")  # fmt: skip
_STOP_WAIT = re.compile(r"\bdocker\s+(?:container\s+)?stop\s+(?:-t|--time(?:out)?)[ =](\d+)")
_GLOBAL_WITH_VALUE = frozenset({"-H", "--host", "--context", "-c", "--config", "-l", "--log-level"})
_STOP_FLAGS = frozenset({"-t", "--time", "--timeout"})
# The exit status of `timeout` when the bound expired (TERM), and when it had to KILL.
_TIMEOUT_STATUSES = frozenset({124, 137})


@dataclass(frozen=True)
class CommandBounds:
    """Seconds a remote command may run, per kind (deploy.yml `x-kamalpy.command_timeouts`)."""

    quick: float = 60.0  # queries, container start/stop/rm, files, proxy API calls
    long: float = 1800.0  # pulls, loads, pushes, builds, `docker run`, `docker exec`
    grace: float = 10.0  # after the bound, TERM; after grace more, KILL


DEFAULT_BOUNDS = CommandBounds()


def bounds_from(settings: Mapping[str, float]) -> CommandBounds:
    """Bounds from deploy.yml's `x-kamalpy.command_timeouts` (missing kinds keep defaults)."""
    quick = float(settings.get("quick", DEFAULT_BOUNDS.quick))
    long = float(settings.get("long", DEFAULT_BOUNDS.long))
    return CommandBounds(quick=quick, long=max(long, quick))


def bound_for(argv: Sequence[str], bounds: CommandBounds = DEFAULT_BOUNDS) -> float:
    """The bound of one remote command by its kind (see the module docstring)."""
    words = _docker_words(argv)
    if words is not None:
        verb = words[1] if words[:1] in (["image"], ["container"]) and len(words) > 1 else None
        verb = verb or (words[0] if words else "")
        if verb in _LONG_VERBS:
            return bounds.long
        if verb == "stop":
            return bounds.quick + _stop_wait(words)
        return bounds.quick
    script = _script(argv)
    if script is not None:
        if _LONG_IN_SCRIPT.search(script):
            return bounds.long
        waits = [int(n) for n in _STOP_WAIT.findall(script)]
        return bounds.quick + max(waits, default=0)
    return bounds.quick


def bounded_argv(argv: Sequence[str], seconds: float, grace: float) -> tuple[str, ...]:
    """argv under the host's `timeout`: TERM after `seconds`, KILL `grace` seconds later."""
    return ("timeout", "-k", _seconds(grace), _seconds(seconds), *argv)


def timed_out(exit_status: int, elapsed: float, seconds: float) -> bool:
    """True when a bounded command's exit means the host's `timeout` stopped it."""
    return exit_status in _TIMEOUT_STATUSES and elapsed >= seconds * 0.95


def _seconds(value: float) -> str:
    return str(max(1, math.ceil(value)))


def _docker_words(argv: Sequence[str]) -> list[str] | None:
    """The words after `docker` and its global options, or None for other programs."""
    if not argv or argv[0] != "docker":
        return None
    words = list(argv[1:])
    while words and words[0].startswith("-"):
        # Global options with a value (`--context x`, `-H host`, `--config dir`).
        takes_value = "=" not in words[0] and words[0] in _GLOBAL_WITH_VALUE
        words = words[2:] if takes_value else words[1:]
    return words


def _stop_wait(words: Sequence[str]) -> float:
    for flag, value in itertools.pairwise(words):
        if flag in _STOP_FLAGS and value.isdigit():
            return float(value)
    for word in words:
        name, _, value = word.partition("=")
        if name in _STOP_FLAGS and value.isdigit():
            return float(value)
    return 0.0


def _script(argv: Sequence[str]) -> str | None:
    """The script of `sh -c SCRIPT ...` (or bash), else None."""
    if len(argv) >= 3 and argv[0] in {"sh", "bash", "/bin/sh", "/bin/bash"} and argv[1] == "-c":
        return argv[2]
    return None
