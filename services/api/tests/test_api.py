import socket
import threading

import app
from common import Store


def test_authorized_needs_the_exact_token():
    assert app.authorized("Bearer s3cret", "s3cret")
    assert not app.authorized("Bearer wrong", "s3cret")
    assert not app.authorized(None, "s3cret")
    assert not app.authorized("Bearer ", "")


def test_counters_say_why_when_the_store_is_down():
    assert app.counters(Store("127.0.0.1", 9, timeout=1)).startswith("store unavailable")


def test_counters_read_a_resp_server():
    listener = socket.create_server(("127.0.0.1", 0))
    replies = iter([b":3\r\n", b"$2\r\n17\r\n"])

    def serve():
        for reply in replies:
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    store = Store("127.0.0.1", listener.getsockname()[1])
    assert app.counters(store) == "visits 3, worker ticks 17"
    listener.close()


def test_the_greeting_comes_from_libs_common():
    import common

    assert app.greeting("api") == f"{common.GREETING} from api"
