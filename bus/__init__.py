"""The message bus: queues, pub/sub, keys, locks and logs, over memory or Redis.

``make_bus(url)`` picks the backend from the URL scheme; everything else codes
against :class:`Bus`.
"""

from __future__ import annotations

from typing import Any

from bus.base import (
    Bus,
    BusError,
    BusMisconfigured,
    BusOverloaded,
    BusTimeout,
    BusUnavailable,
    LockNotAcquired,
    LogEntry,
    Message,
    StreamEntry,
    Subscription,
)
from bus.urls import CLUSTER_SCHEME, SCHEMES, check_bus_url, scheme_of

__all__ = [
    "SCHEMES",
    "Bus",
    "BusError",
    "BusMisconfigured",
    "BusOverloaded",
    "BusTimeout",
    "BusUnavailable",
    "LockNotAcquired",
    "LogEntry",
    "Message",
    "StreamEntry",
    "Subscription",
    "make_bus",
]


def make_bus(url: str, **options: Any) -> Bus:
    """A new, unconnected bus for ``url``: ``memory://``, ``redis://...``, ``rediss://...``,
    ``redis+sentinel://...`` or ``redis+cluster://...`` (see :mod:`bus.urls`).

    Every call returns an independent bus; two app instances simulated in one
    process share a memory bus by being handed the same object. ``options`` go to
    the backend: ``clock`` for :class:`bus.memory.MemoryBus`; ``max_connections``,
    ``pool_timeout``, ``connect_timeout``, ``socket_timeout``, ``health_check_interval``,
    ``client_name`` and ``clock`` for :class:`bus.redis.RedisBus` and
    :class:`bus.cluster.ClusterBus`. An unknown scheme or a malformed Sentinel or
    Cluster URL raises :class:`ValueError`.
    """
    check_bus_url(url)
    if scheme_of(url) == "memory":
        from bus.memory import MemoryBus

        return MemoryBus(url, **options)
    if scheme_of(url) == CLUSTER_SCHEME:
        from bus.cluster import ClusterBus

        return ClusterBus(url, **options)
    from bus.redis import RedisBus

    return RedisBus(url, **options)
