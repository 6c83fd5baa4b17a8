"""What every flow needs, passed in by the CLI: executor, console, targets, clock, who and when."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from kamalpy.commands.lock import Holder
from kamalpy.commands.ssh import settings_from_config
from kamalpy.config.model import Configuration
from kamalpy.executor.base import Executor, Target
from kamalpy.executor.cancel import Cancellation
from kamalpy.sensitive import Sensitive


class Output(Protocol):
    """The part of the CLI's Console the flows use."""

    def info(self, text: str) -> None: ...
    def detail(self, text: str) -> None: ...
    def step(self, host: str, what: str, seconds: float, ok: bool = True) -> None: ...
    def result(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...


@dataclass
class Context:
    """One command's run: how to reach hosts, where to print, and the values only the CLI reads."""

    config: Configuration
    executor: Executor
    console: Output
    clock: Callable[[], float]
    recorded_at: str
    performer: str
    dry_run: bool = False
    secrets: Mapping[str, Sensitive] = field(default_factory=dict)
    hooks_env: Mapping[str, str] = field(default_factory=dict)
    command: str = "deploy"
    targets: dict[str, Target] = field(default_factory=dict)
    # Set by a signal; shared by every flow of the run (one per service when they run in threads).
    cancel: Cancellation = field(default_factory=Cancellation)
    holder: Holder | None = None  # this process, recorded in the deploy lock it takes
    # Where per-host operations print each host's answer as it arrives (None: return them).
    emit: Callable[[str], None] | None = None

    def target(self, host: str) -> Target:
        """The target of a host (ssh, or this machine for local_hosts), built once."""
        if host not in self.targets:
            local = host in self.config.extras.local_hosts
            settings = settings_from_config(self.config.ssh, host)
            self.targets[host] = Target(host, settings, local=local)
        return self.targets[host]
