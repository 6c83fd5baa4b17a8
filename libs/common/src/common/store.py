"""A minimal Redis (RESP2) client over one socket: enough for INCR, GET, SET, PING.

No dependency, so the images need nothing from an index beyond the Python base.
"""

from __future__ import annotations

import socket


class StoreUnavailable(Exception):
    """The store could not be reached or answered an error."""


def encode(*words: str) -> bytes:
    """One command as a RESP array of bulk strings."""
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def decode(reader: socket.SocketIO | object) -> str | int | None:
    """One RESP2 reply (simple string, error, integer, bulk string) from a file-like reader."""
    line = reader.readline()  # type: ignore[attr-defined]
    if not line:
        raise StoreUnavailable("connection closed")
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise StoreUnavailable(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = reader.read(size + 2)  # type: ignore[attr-defined]
        return bytes(data[:size]).decode()
    raise StoreUnavailable(f"unexpected reply {line!r}")


class Store:
    """A connection per command: simple, and right after a restart of the store."""

    def __init__(self, host: str, port: int = 6379, timeout: float = 2.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def command(self, *words: str) -> str | int | None:
        """Send one command, return its reply."""
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as s:
                s.sendall(encode(*words))
                return decode(s.makefile("rb"))
        except OSError as error:
            raise StoreUnavailable(f"{self.host}:{self.port}: {error}") from None
