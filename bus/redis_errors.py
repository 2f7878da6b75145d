"""redis-py's exceptions, translated into the bus's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import (
    ClusterDownError,
    MaxConnectionsError,
    RedisClusterException,
    RedisError,
    SlotNotCoveredError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bus.base import BusError, BusOverloaded, BusUnavailable

# What a dead or unreachable server looks like from redis-py; in a cluster, also
# a slot that no reachable master serves (while a failover is under way).
CONNECTION_ERRORS = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    SlotNotCoveredError,
    ClusterDownError,
)


@contextmanager
def translated() -> Iterator[None]:
    """Raise :class:`BusUnavailable` for connection trouble, :class:`BusOverloaded` when
    every connection a cluster node may have is busy, :class:`BusError` for the rest."""
    try:
        yield
    except MaxConnectionsError as error:
        raise BusOverloaded(f"too many Redis commands in flight: {error}") from error
    except CONNECTION_ERRORS as error:
        raise BusUnavailable(f"Redis is unavailable: {error}") from error
    except (RedisError, RedisClusterException) as error:
        # A cluster client's own refusals (keys of several slots in one command)
        # are mistakes of the caller, not an outage.
        raise BusError(str(error)) from error
