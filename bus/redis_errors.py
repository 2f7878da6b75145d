"""redis-py's exceptions, translated into the bus's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bus.base import BusError, BusUnavailable

# What a dead or unreachable server looks like from redis-py.
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


@contextmanager
def translated() -> Iterator[None]:
    """Raise :class:`BusUnavailable` for connection trouble, :class:`BusError` for the rest."""
    try:
        yield
    except CONNECTION_ERRORS as error:
        raise BusUnavailable(f"Redis is unavailable: {error}") from error
    except RedisError as error:
        raise BusError(str(error)) from error
