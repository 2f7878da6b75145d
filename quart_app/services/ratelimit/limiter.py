"""Rate limiting with the ``limits`` library, counted on the bus.

On Redis the counters live in the bus's own Redis (its connection pool), so
every instance shares them; on a Redis Cluster, in the same cluster (through
the library's own cluster client: one counter is one key, so one slot); on the
memory bus they live in one
``MemoryStorage`` per bus object, shared by the app instances of one process
that share that bus. A fixed window per caller and endpoint: one atomic
``INCR``/``EXPIRE`` script per request; a refusal reads the window's expiry
once more for ``Retry-After``.
"""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisClusterStorage, RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio.cluster import RedisCluster

from bus import Bus, BusUnavailable
from config.rate_limit_syntax import RateLimit
from domain.errors import DomainError

KEY_PREFIX = "ratelimit"

_memory_storages: weakref.WeakKeyDictionary[Bus, MemoryStorage] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request over its budget: which limit, and whole seconds until it may retry."""

    endpoint: str
    limit: RateLimit
    retry_after: int

    @property
    def message(self) -> str:
        """What a client is told of this refusal."""
        return (
            f"Too many {self.endpoint} requests: at most {self.limit.amount} every "
            f"{self.limit.seconds} s. Retry in {self.retry_after} s."
        )


class RateLimited(DomainError):
    """A caller past its budget (HTTP 429 ``rate_limited`` with ``Retry-After``)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def storage_for(bus: Bus) -> Storage:
    """Where the counters of ``bus``'s app instances live."""
    from bus.cluster import ClusterBus
    from bus.redis import RedisBus

    if isinstance(bus, ClusterBus):
        return RedisClusterStorage(
            f"async+redis+cluster://{bus.url.partition('://')[2]}",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            wrap_exceptions=True,
        )
    if isinstance(bus, RedisBus):
        return RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            wrap_exceptions=True,
            connection_pool=bus.connection_pool,  # type: ignore[arg-type]
        )
    storage = _memory_storages.get(bus)
    if storage is None:
        storage = _memory_storages[bus] = MemoryStorage(wrap_exceptions=True)
    return storage


class RateLimiter:
    """Budgets per endpoint; :meth:`hit` spends one request of a caller's."""

    def __init__(self, storage: Storage, limits: dict[str, RateLimit]) -> None:
        self._storage = storage
        self._strategy = FixedWindowRateLimiter(storage)
        self._items = {
            endpoint: (limit, RateLimitItemPerSecond(limit.amount, limit.seconds))
            for endpoint, limit in limits.items()
        }

    async def close(self) -> None:
        """Close the counters' own client: on a Redis Cluster the library keeps one, with
        connections to every master; elsewhere the counters use the bus's, closed with it."""
        if isinstance(self._storage, RedisClusterStorage):
            bridge = self._storage.bridge
            if isinstance(bridge, RedispyBridge):  # storage_for chose it
                await cast(RedisCluster, bridge.get_connection()).aclose()

    async def allows(self, endpoint: str, caller: str) -> Refusal | None:
        """The :class:`Refusal` that :meth:`hit` would give now, spending nothing."""
        return await self._count(endpoint, caller, spend=False)

    async def hit(self, endpoint: str, caller: str) -> Refusal | None:
        """Count one request of ``caller`` on ``endpoint``; a :class:`Refusal` past the budget.

        :class:`BusUnavailable` when the counters can't be reached.
        """
        return await self._count(endpoint, caller, spend=True)

    async def _count(self, endpoint: str, caller: str, *, spend: bool) -> Refusal | None:
        limit, item = self._items[endpoint]
        check = self._strategy.hit if spend else self._strategy.test
        try:
            if await check(item, endpoint, caller):
                return None
            stats = await self._strategy.get_window_stats(item, endpoint, caller)
        except StorageError as error:
            raise BusUnavailable(f"rate-limit counters unavailable: {error}") from error
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Refusal(endpoint, limit, retry_after)
