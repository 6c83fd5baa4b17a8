import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import app


def test_page_shows_the_api_answer():
    assert app.page("hello from api") == "hello from web\napi says: hello from api\n"


def test_ask_api_sends_the_host_header_and_reads_the_answer():
    seen = {}

    class Fake(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello from api\n")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.handle_request, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    assert app.ask_api(url, "api.test") == "hello from api"
    assert seen["host"] == "api.test"
    server.server_close()


def test_ask_api_says_why_when_unreachable():
    assert app.ask_api("http://127.0.0.1:9/", "api.test", timeout=1).startswith("(api unreachable")
