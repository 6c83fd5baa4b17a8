"""The example's background worker: no proxy, a loop that counts ticks in the Redis accessory."""

from __future__ import annotations

import os
import signal
import sys
import time

from common import Store, StoreUnavailable

STOP = False


def tick(store: Store) -> str:
    """One round of work: count a tick; the line to log."""
    try:
        return f"tick {store.command('INCR', 'worker:ticks')}"
    except StoreUnavailable as error:
        return f"store unavailable, will retry ({error})"


def main() -> None:
    def stop(*_: object) -> None:
        global STOP
        STOP = True

    signal.signal(signal.SIGTERM, stop)
    store = Store(os.environ.get("REDIS_HOST", "api-redis"))
    interval = float(os.environ.get("INTERVAL", "5"))
    last = ""
    while not STOP:
        line = tick(store)
        if line.split(" ")[0] != last.split(" ")[0]:  # log changes, not every tick
            print(line, flush=True)
        last = line
        time.sleep(interval)
    sys.exit(0)


if __name__ == "__main__":
    main()
