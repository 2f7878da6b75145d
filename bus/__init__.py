"""The message bus: queues, pub/sub, keys, locks and logs, over memory or Redis.

``make_bus(url)`` picks the backend from the URL scheme; everything else codes
against :class:`Bus`.
"""

from __future__ import annotations

from typing import Any

from bus.base import (
    Bus,
    BusError,
    BusOverloaded,
    BusTimeout,
    BusUnavailable,
    LockNotAcquired,
    LogEntry,
    Message,
    Subscription,
)

__all__ = [
    "Bus",
    "BusError",
    "BusOverloaded",
    "BusTimeout",
    "BusUnavailable",
    "LockNotAcquired",
    "LogEntry",
    "Message",
    "Subscription",
    "make_bus",
]

SCHEMES = ("memory", "redis", "rediss")


def make_bus(url: str, **options: Any) -> Bus:
    """A new, unconnected bus for ``url``: ``memory://``, ``redis://...`` or ``rediss://...``.

    Every call returns an independent bus; two app instances simulated in one
    process share a memory bus by being handed the same object. ``options`` go to
    the backend: ``clock`` for :class:`bus.memory.MemoryBus`; ``max_connections``,
    ``pool_timeout``, ``connect_timeout``, ``health_check_interval``,
    ``client_name`` and ``clock`` for :class:`bus.redis.RedisBus`. An unknown
    scheme raises :class:`ValueError`.
    """
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme == "memory":
        from bus.memory import MemoryBus

        return MemoryBus(url, **options)
    if scheme in ("redis", "rediss"):
        from bus.redis import RedisBus

        return RedisBus(url, **options)
    allowed = ", ".join(f"{name}://" for name in SCHEMES)
    raise ValueError(f"unsupported bus URL scheme {scheme!r}; use one of {allowed}")
