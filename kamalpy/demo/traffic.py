"""A small, bounded HTTP client loop against the demo's proxy on 127.0.0.1.

It runs while v2 replaces v1 and counts every answer, so the summary can show that no request
failed across the switch. One new connection per request: each one is routed afresh.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from dataclasses import dataclass, field

MAX_REQUESTS = 400
PACE_SECONDS = 0.02  # ~50 requests/s: a deploy of a few seconds fits well under the cap


@dataclass
class Tally:
    """What the loop saw: requests sent, failures (with the first few reasons), pages seen."""

    sent: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)
    bodies: Counter[str] = field(default_factory=Counter)


def fetch(port: int, path: str = "/", timeout: float = 5.0) -> tuple[int, str]:
    """GET path from the proxy on 127.0.0.1:port; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


class TrafficLoop:
    """Requests in a background thread until `stop()` or MAX_REQUESTS."""

    def __init__(self, port: int, max_requests: int = MAX_REQUESTS) -> None:
        self.port = port
        self.max_requests = max_requests
        self.tally = Tally()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-traffic", daemon=True)

    def start(self) -> TrafficLoop:
        """Start sending."""
        self._thread.start()
        return self

    def stop(self) -> Tally:
        """Stop after the request in flight and return the counts."""
        self._stop.set()
        self._thread.join()
        return self.tally

    def _loop(self) -> None:
        while self.tally.sent < self.max_requests and not self._stop.is_set():
            self._one()
            self._stop.wait(PACE_SECONDS)  # pacing, and the stop signal

    def _one(self) -> None:
        self.tally.sent += 1
        try:
            status, body = fetch(self.port)
        except OSError as error:
            self._fail(f"{type(error).__name__}: {error}")
            return
        if status != 200:
            self._fail(f"HTTP {status}")
            return
        self.tally.bodies[body.strip()] += 1

    def _fail(self, reason: str) -> None:
        self.tally.failed += 1
        if len(self.tally.reasons) < 5:
            self.tally.reasons.append(reason)
