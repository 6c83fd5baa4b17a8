"""The example's front end: a page that asks `api` (through the proxy) and shows its answer."""

from __future__ import annotations

import os
import signal
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = "hello from web"


def ask_api(url: str, host: str, timeout: float = 3.0) -> str:
    """The api's answer through the proxy (Host-routed), or why there is none."""
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode().strip()
    except OSError as error:
        return f"(api unreachable: {error})"


def page(api_answer: str) -> str:
    """The page web serves at /."""
    return f"{GREETING}\napi says: {api_answer}\n"


class Handler(BaseHTTPRequestHandler):
    """`/up` for the proxy's health check, `/` for people."""

    def do_GET(self) -> None:
        if self.path == "/up":
            body = "ok\n"
        else:
            api = ask_api(os.environ.get("API_URL", "http://kamal-proxy"),
                          os.environ.get("API_HOST", "api.localhost"))
            body = page(api)
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        if self.path != "/up":
            sys.stderr.write(f"web {self.command} {self.path}\n")


def main() -> None:
    # PID 1 in a container ignores SIGTERM without a handler: stop at once on `docker stop`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port = int(os.environ.get("PORT", "8000"))
    ThreadingHTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
