import io

import pytest

from common import greeting
from common.store import StoreUnavailable, decode, encode


def test_greeting_names_the_service():
    assert greeting("api") == "hello from api"


def test_encode_is_a_resp_array_of_bulk_strings():
    assert encode("INCR", "hits") == b"*2\r\n$4\r\nINCR\r\n$4\r\nhits\r\n"


@pytest.mark.parametrize(
    ("wire", "value"),
    [(b"+PONG\r\n", "PONG"), (b":42\r\n", 42), (b"$2\r\nok\r\n", "ok"), (b"$-1\r\n", None)],
)
def test_decode_replies(wire, value):
    assert decode(io.BytesIO(wire)) == value


def test_decode_error_reply_raises():
    with pytest.raises(StoreUnavailable, match="WRONGTYPE"):
        decode(io.BytesIO(b"-WRONGTYPE nope\r\n"))
