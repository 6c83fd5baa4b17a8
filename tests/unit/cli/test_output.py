from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from kamalpy.cli.output import Console


class SlowStream:
    """A stream whose write runs Python code, so threads can switch inside print-like calls."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        for char in text:  # one append per character: plenty of chances to interleave
            self.parts.append(char)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture
def eager_switching() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("eager_switching")
def test_lines_from_parallel_hosts_never_run_together() -> None:
    stream = SlowStream()
    console = Console(out=stream)
    lines = {f"h{n}: docker run --name app-{n}-v{i}" for n in range(6) for i in range(40)}

    def report(host: int) -> None:
        for line in sorted(lines):
            if line.startswith(f"h{host}:"):
                console.info(line)

    threads = [threading.Thread(target=report, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set("".join(stream.parts).splitlines()) == lines
