"""Shared by the example's api and worker (a uv path dependency): a greeting, a Redis client."""

from common.store import Store, StoreUnavailable

GREETING = "hello"


def greeting(service: str) -> str:
    """The line every service answers with."""
    return f"{GREETING} from {service}"


__all__ = ["GREETING", "Store", "StoreUnavailable", "greeting"]
