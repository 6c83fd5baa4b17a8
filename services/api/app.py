"""The example's API: a greeting from libs/common, a visit counter in the Redis accessory, and a
route guarded by the `API_TOKEN` secret (whose value is never shown)."""

from __future__ import annotations

import hmac
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import Store, StoreUnavailable, greeting


def counters(store: Store) -> str:
    """Visits (counted here) and the worker's ticks, or why the store gave none."""
    try:
        visits = store.command("INCR", "api:visits")
        ticks = store.command("GET", "worker:ticks") or 0
    except StoreUnavailable as error:
        return f"store unavailable ({error})"
    return f"visits {visits}, worker ticks {ticks}"


def authorized(header: str | None, token: str) -> bool:
    """A `Bearer` header that matches the secret, compared in constant time."""
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())


class Handler(BaseHTTPRequestHandler):
    """`/up`, `/` (the greeting and counters) and `/private` (needs the token)."""

    store = Store(os.environ.get("REDIS_HOST", "api-redis"))

    def do_GET(self) -> None:
        status = 200
        if self.path == "/up":
            body = "ok"
        elif self.path == "/private":
            ok = authorized(self.headers.get("Authorization"), os.environ.get("API_TOKEN", ""))
            status, body = (200, "token accepted") if ok else (401, "token required")
        else:
            body = f"{greeting('api')}; {counters(self.store)}"
        data = (body + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        if self.path != "/up":
            sys.stderr.write(f"api {self.command} {self.path}\n")


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port = int(os.environ.get("PORT", "8000"))
    ThreadingHTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
