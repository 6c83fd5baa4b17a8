"""Sample every process's argv on this machine while something runs.

The bed's hosts are network/UTS/mount namespaces sharing this machine's PID namespace, so one
sampler sees the local kamalpy and ssh processes and, on the hosts, sshd's shells and docker.
"""

from __future__ import annotations

import os
import threading
import time


class CmdlineSampler:
    """A thread reading `/proc/*/cmdline` every few ms, recording any that holds a needle."""

    def __init__(self, needles: list[bytes], interval: float = 0.002) -> None:
        self.needles = needles
        self.interval = interval
        self.hits: list[tuple[int, bytes]] = []
        self.cmdlines: set[bytes] = set()
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    data = handle.read()
            except OSError:  # the process ended between listing and reading
                continue
            if data in self.cmdlines:
                continue
            self.cmdlines.add(data)
            if any(needle in data for needle in self.needles):
                self.hits.append((int(entry.name), data))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._scan()
            self.scans += 1
            time.sleep(self.interval)

    def __enter__(self) -> CmdlineSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
