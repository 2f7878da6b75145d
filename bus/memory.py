"""The in-process twin of the Redis bus: same behaviour, one process, no Redis."""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from bus.base import (
    Bus,
    BusError,
    BusOverloaded,
    Data,
    LogEntry,
    Message,
    Pieces,
    StreamEntry,
    Subscription,
)
from bus.encoding import joined, to_bytes
from bus.lock import hold_lock
from bus.memory_log import MemoryLog, format_id, parse_id
from bus.subscription import BufferedSubscription, SubscriberTable

Holders = dict[str, float]
"""The holders of a key's slots and when each lapses (a sorted set's members and scores)."""
LoggedData = tuple[bytes, int | None]
"""A log entry's payload and order (:attr:`bus.base.LogEntry.order`)."""
Value = bytes | deque[bytes] | MemoryLog[LoggedData] | MemoryLog[dict[str, bytes]] | Holders


@dataclass(eq=False)
class _Waiter:
    """A blocked ``pop_into``: served in arrival order, like Redis serves blocked clients."""

    future: asyncio.Future[bytes]
    processing: str


def _forget_lapsed(holders: Holders, now: float) -> None:
    for lapsed in [name for name, until in holders.items() if until <= now]:
        del holders[lapsed]


def _glob_match(pattern: str, name: str) -> bool:
    # Redis spells a negated class [^...]; fnmatch spells it [!...].
    return fnmatch.fnmatchcase(name, pattern.replace("[^", "[!"))


class MemoryBus(Bus):
    """Everything in this process's memory, with expiry against ``clock``.

    Each instance is an independent bus: to simulate several app instances on one
    bus, hand them the same ``MemoryBus`` object. ``clock`` returns Unix seconds and
    governs key expiry, log ids and log retention (tests inject a fake one);
    waiting (blocking pops, lock waits, subscription reads) uses real time.
    """

    def __init__(self, url: str = "memory://", *, clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self._clock = clock
        self._values: dict[str, Value] = {}
        self._expires: dict[str, float] = {}
        self._waiters: dict[str, deque[_Waiter]] = {}
        self._channels = SubscriberTable()
        self._patterns = SubscriberTable()
        self._stream_readers: dict[str, set[asyncio.Future[None]]] = {}

    # lifecycle -----------------------------------------------------------
    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        self._channels.end_all()
        self._patterns.end_all()

    async def ping(self) -> None:
        return None

    @property
    def subscription_count(self) -> int:
        """Live subscriptions (channel and pattern), for leak checks."""
        return len(self._channels.subscriptions() | self._patterns.subscriptions())

    # keyspace -------------------------------------------------------------
    def _live(self, key: str) -> Value | None:
        expires = self._expires.get(key)
        if expires is not None and expires <= self._clock():
            self._drop(key)
        return self._values.get(key)

    def _drop(self, key: str) -> bool:
        self._expires.pop(key, None)
        return self._values.pop(key, None) is not None

    def _list(self, key: str) -> deque[bytes] | None:
        value = self._live(key)
        if value is None or isinstance(value, deque):
            return value
        raise BusError(f"WRONGTYPE {key!r} does not hold a list")

    def _list_to_fill(self, key: str) -> deque[bytes]:
        items = self._list(key)
        if items is None:
            items = self._values[key] = deque()
        return items

    def _string(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is None or isinstance(value, bytes):
            return value
        raise BusError(f"WRONGTYPE {key!r} does not hold a string")

    def _holders(self, key: str) -> Holders | None:
        value = self._live(key)
        if value is None or isinstance(value, dict):
            return value
        raise BusError(f"WRONGTYPE {key!r} does not hold a sorted set")

    def _log(self, key: str) -> MemoryLog[LoggedData] | None:
        return self._stream_of(key)  # type: ignore[return-value]  # log_append adds LoggedData only

    def _stream(self, key: str) -> MemoryLog[dict[str, bytes]] | None:
        return self._stream_of(key)  # type: ignore[return-value]  # stream_add adds fields only

    def _stream_of(self, key: str) -> MemoryLog[LoggedData] | MemoryLog[dict[str, bytes]] | None:
        value = self._live(key)
        if value is None or isinstance(value, MemoryLog):
            return value
        raise BusError(f"WRONGTYPE {key!r} does not hold a stream")

    # queues ---------------------------------------------------------------
    async def push(self, queue: str, data: Data | Pieces, *, max_length: int | None = None) -> int:
        items = self._list_to_fill(queue)
        if max_length is not None and len(items) >= max_length:
            raise BusOverloaded(f"{queue} already holds {max_length} items")
        items.appendleft(joined(data) if isinstance(data, Pieces) else to_bytes(data))
        length = len(items)
        self._serve_waiters(queue)
        return length

    def _serve_waiters(self, queue: str) -> None:
        waiters = self._waiters.get(queue)
        while waiters:
            waiter = waiters.popleft()
            if waiter.future.done():
                continue
            item = self._take(queue, waiter.processing)
            if item is None:
                waiters.appendleft(waiter)
                break
            waiter.future.set_result(item)
        if not waiters:
            self._waiters.pop(queue, None)

    def _take(self, queue: str, processing: str) -> bytes | None:
        items = self._list(queue)
        if not items:
            return None
        # Checked before taking, so a wrong type leaves the queue untouched.
        self._list(processing)
        item = items.pop()
        if not items:
            self._drop(queue)
        self._list_to_fill(processing).appendleft(item)
        return item

    async def pop_into(self, queue: str, processing: str, timeout: float) -> bytes | None:  # noqa: ASYNC109
        """``BRPOPLPUSH``; a ``timeout`` of zero or less does not wait (``RPOPLPUSH``)."""
        item = self._take(queue, processing)
        if item is not None or timeout <= 0:
            return item
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(queue, deque()).append(_Waiter(future, processing))
        # As on Redis, a wait cancelled the instant it is served leaves its item in
        # ``processing`` only. Running out of time is not such a cancellation: Redis
        # times a BRPOPLPUSH out on the server, which never drops an item it served,
        # so an item handed over as the deadline passed is returned.
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            if future.done() and not future.cancelled():
                return future.result()
            return None

    async def remove(self, queue: str, data: Data) -> int:
        items = self._list(queue)
        target = to_bytes(data)
        if not items or target not in items:
            return 0
        # LREM with count 1 removes from the head (the newest end).
        items.remove(target)
        if not items:
            self._drop(queue)
        return 1

    async def items(self, queue: str) -> list[bytes]:
        items = self._list(queue)
        return list(reversed(items)) if items else []

    # keys -------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        return self._string(key)

    async def get_many(self, *keys: str) -> list[bytes | None]:
        values = [self._live(key) for key in keys]
        return [value if isinstance(value, bytes) else None for value in values]

    async def set(
        self, key: str, data: Data, *, ttl: float | None = None, only_if_missing: bool = False
    ) -> bool:
        if only_if_missing and self._live(key) is not None:
            return False
        self._drop(key)
        self._values[key] = to_bytes(data)
        if ttl is not None:
            self._expires[key] = self._clock() + ttl
        return True

    async def _incr_by(self, key: str, amount: int) -> int:
        current = self._string(key) or b"0"
        try:
            total = int(current) + amount
        except ValueError:
            raise BusError(f"{key!r} does not hold an integer") from None
        self._values[key] = b"%d" % total
        return total

    async def delete(self, *keys: str) -> int:
        return sum(self._live(key) is not None and self._drop(key) for key in keys)

    async def expire(self, key: str, ttl: float) -> bool:
        if self._live(key) is None:
            return False
        self._expires[key] = self._clock() + ttl
        return True

    async def scan(self, pattern: str) -> list[str]:
        return [
            key
            for key in list(self._values)
            if self._live(key) is not None and _glob_match(pattern, key)
        ]

    # counted holders ----------------------------------------------------------
    async def claim_slot(self, key: str, holder: str, *, limit: int, ttl: float) -> bool:
        now = self._clock()
        holders = self._holders(key)
        if holders is None:
            holders = self._values[key] = {}
        _forget_lapsed(holders, now)
        if holder not in holders and len(holders) >= limit:
            return False
        holders[holder] = now + ttl
        self._expires[key] = now + ttl
        return True

    async def renew_slots(self, slots: Mapping[str, Collection[str]], ttl: float) -> None:
        now = self._clock()
        for key, names in slots.items():
            holders = self._holders(key)
            if holders is None:
                continue
            _forget_lapsed(holders, now)
            for name in names:
                if name in holders:
                    holders[name] = now + ttl
            self._expires[key] = now + ttl

    async def release_slot(self, key: str, holder: str) -> None:
        holders = self._holders(key)
        if holders is not None:
            holders.pop(holder, None)
            if not holders:
                self._drop(key)

    # pub/sub ----------------------------------------------------------------
    async def publish(self, channel: str, data: Data) -> int:
        """Deliver to this bus's subscribers; counts as Redis does for one connection."""
        payload = to_bytes(data)
        receivers = 0
        if channel in self._channels:
            receivers += 1
            self._channels.deliver(channel, Message(channel, payload))
        for pattern in self._patterns.names():
            if _glob_match(pattern, channel):
                receivers += 1
                self._patterns.deliver(pattern, Message(channel, payload, pattern))
        return receivers

    async def subscribe(self, *channels: str, buffer: int = 1000) -> Subscription:
        return self._register(self._channels, channels, (), buffer)

    async def psubscribe(self, *patterns: str, buffer: int = 1000) -> Subscription:
        return self._register(self._patterns, (), patterns, buffer)

    def _register(
        self,
        table: SubscriberTable,
        channels: tuple[str, ...],
        patterns: tuple[str, ...],
        buffer: int,
    ) -> BufferedSubscription:
        names = channels or patterns

        async def unregister(subscription: BufferedSubscription) -> None:
            for name in names:
                table.discard(name, subscription)

        subscription = BufferedSubscription(channels, patterns, buffer, unregister)
        for name in names:
            table.add(name, subscription)
        return subscription

    # locks --------------------------------------------------------------------
    def lock(self, name: str, *, ttl: float, wait: float) -> AbstractAsyncContextManager[None]:
        return hold_lock(self, self._release, name, ttl=ttl, wait=wait)

    async def _release(self, name: str, token: str) -> bool:
        if self._string(name) != token.encode():
            return False
        return self._drop(name)

    # per-user logs ------------------------------------------------------------------
    async def log_append(
        self, log: str, data: Data, *, maxlen: int, retention: float, order: int | None = None
    ) -> str:
        entries = self._log(log)
        if entries is None:
            entries = self._values[log] = MemoryLog[LoggedData]()
        now = self._clock()
        entry_id = entries.append(int(now * 1000), (to_bytes(data), order))
        entries.trim(maxlen=maxlen, min_ms=int((now - retention) * 1000))
        return format_id(entry_id)

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        entries = self._log(log)
        if entries is None:
            entries = self._values[log] = MemoryLog()
        now_ms = int(self._clock() * 1000)
        ids = [format_id(entries.append(now_ms, (b"", None))) for _ in range(count)]
        entries.trim(maxlen=1, min_ms=0)
        if first_into is not None and ids:
            await self.set(first_into, ids[0], only_if_missing=True)
        return ids

    async def log_after(self, log: str, after_id: str, *, count: int) -> list[LogEntry]:
        start = parse_id(after_id)
        entries = self._log(log)
        if entries is None:
            return []
        return [
            LogEntry(entry_id, data, order)
            for entry_id, (data, order) in entries.after(start, count)
        ]

    # streams ------------------------------------------------------------------------
    async def stream_add(
        self, stream: str, fields: Mapping[str, Data], *, maxlen: int, ttl: float
    ) -> str:
        entries = self._stream(stream)
        if entries is None:
            entries = self._values[stream] = MemoryLog[dict[str, bytes]]()
        now = self._clock()
        entry_id = entries.append(int(now * 1000), {k: to_bytes(v) for k, v in fields.items()})
        entries.trim(maxlen=maxlen, min_ms=0)
        self._expires[stream] = now + ttl
        for reader in self._stream_readers.pop(stream, set()):
            if not reader.done():
                reader.set_result(None)
        return format_id(entry_id)

    async def stream_read(
        self,
        stream: str,
        after_id: str,
        *,
        count: int,
        block: float,
    ) -> list[StreamEntry]:
        start = parse_id(after_id)
        entries = self._stream(stream)
        if (entries is None or entries.last_id <= start) and block > 0:
            added: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            readers = self._stream_readers.setdefault(stream, set())
            readers.add(added)
            try:
                await asyncio.wait((added,), timeout=block)
            finally:
                readers.discard(added)
                if not readers:
                    self._stream_readers.pop(stream, None)
                added.cancel()
            entries = self._stream(stream)
        if entries is None:
            return []
        return [StreamEntry(entry_id, dict(data)) for entry_id, data in entries.after(start, count)]
