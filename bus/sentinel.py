"""The Redis pool behind Sentinel: each new connection asks the sentinels where the master is.

redis-py's ``SentinelManagedConnection`` does the following of the master: it
looks the master up whenever it connects, and turns the ``READONLY`` error of a
demoted master into a ``ConnectionError`` after dropping the connection. So a
failover costs the commands in flight at that moment (``BusUnavailable``), and
the next connection, the pool's or the shared subscriber's, lands on the new
master.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

from bus.urls import parse_sentinel_url


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel's master pool with the blocking wait for a free connection: redis-py's
    default pool raises ``MaxConnectionsError`` past ``max_connections`` in flight."""

    async def aclose(self) -> None:
        await super().aclose()
        await self.sentinel_manager.aclose()


def sentinel_pool(
    url: str, *, socket_connect_timeout: float, **options: Any
) -> BlockingSentinelPool:
    """A pool on the master that the sentinels of ``url`` name; ``options`` as for
    :class:`BlockingConnectionPool` (``max_connections``, ``timeout``, ...)."""
    parts = parse_sentinel_url(url)
    # Bounded: an unreachable sentinel must not hold up asking the next one.
    asking = {
        "socket_timeout": socket_connect_timeout,
        "socket_connect_timeout": socket_connect_timeout,
    }
    sentinels = Sentinel(list(parts.sentinels), sentinel_kwargs=asking)  # type: ignore[no-untyped-call]  # untyped in redis-py
    return BlockingSentinelPool(  # type: ignore[no-untyped-call]  # untyped in redis-py
        parts.service_name,
        sentinels,
        db=parts.db,
        username=parts.username,
        password=parts.password,
        socket_connect_timeout=socket_connect_timeout,
        **options,
    )
