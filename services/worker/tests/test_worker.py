import worker
from common import Store


def test_tick_survives_a_missing_store():
    assert worker.tick(Store("127.0.0.1", 9, timeout=1)).startswith("store unavailable")
