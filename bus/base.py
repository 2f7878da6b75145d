"""The bus interface: Redis queues, pub/sub, keys, locks and per-user logs.

Every implementation (``memory://``, ``redis://``, ``redis+cluster://``) honours
the same contract:
the ``tests/bus/test_*.py`` suites run over each of them through the
``backend`` fixture of ``tests/conftest.py``.
Messages are ``bytes`` on the way out; ``str`` is accepted on the way in and
encoded as UTF-8. Waits are arguments (``timeout``), not ``asyncio.timeout``
scopes, because Redis itself takes them (``BRPOPLPUSH ... timeout``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

Data = bytes | str


@dataclass(frozen=True, slots=True)
class Pieces:
    """A message too large to hold twice (an upload): its exact size in bytes and a
    function producing it piece by piece, which a backend may call once per attempt."""

    size: int
    produce: Callable[[], Iterator[bytes]]


class BusError(Exception):
    """Base class of every bus failure."""


class BusUnavailable(BusError):
    """The bus backend can't be reached (Redis down, connection refused)."""


class BusTimeout(BusError):
    """An operation (or an AI request) did not finish in time."""


class BusOverloaded(BusError):
    """Too much in flight in this process, or a queue is full; the caller should shed load."""


class BusMisconfigured(BusError):
    """The bus URL names a server that can't serve as that bus (a Redis that isn't a cluster)."""


class LockNotAcquired(BusError):
    """A lock could not be acquired within its wait time."""


@dataclass(frozen=True, slots=True)
class Message:
    """One pub/sub delivery: the channel it was published on and its payload."""

    channel: str
    data: bytes
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of a per-user log: a monotonically increasing id and its payload.

    ``order``, if it was appended with one, places it among the entries of every
    log: a :class:`Batch` numbered from a counter (:meth:`Bus.batch`) gives each
    of its entries the counter's next value.
    """

    id: str
    data: bytes
    order: int | None = None


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One entry of a stream: its id and its fields."""

    id: str
    fields: dict[str, bytes]


class Subscription(ABC):
    """A live subscription; iterate it for messages, close it to unsubscribe.

    Returned by :meth:`Bus.subscribe` / :meth:`Bus.psubscribe` *after* the
    backend confirmed the subscription, so a publish made afterwards is never
    missed. The per-subscriber buffer is bounded; on overflow the oldest
    messages are dropped and counted in :attr:`dropped`.
    """

    dropped: int = 0

    @abstractmethod
    async def get(self, timeout: float | None = None) -> Message | None:  # noqa: ASYNC109
        """Next message, or ``None`` after ``timeout`` seconds (``None`` = wait forever)."""

    @abstractmethod
    async def close(self) -> None:
        """Unsubscribe and release the buffer; idempotent."""

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            message = await self.get()
            if message is None:
                return
            yield message

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class Batch:
    """Commands queued to run in the order given, in one round trip where the
    backend can. In memory and on one Redis server (one script) the batch runs
    as one step: no other client's command falls between two of its commands.
    On a Redis Cluster (a pipeline per master, sent together, each master's
    commands in the order given) other clients' commands may. Never all or
    nothing: :meth:`execute` raises the first failure, and the commands before
    it, and on a cluster possibly some after it, took effect.

    With ``order`` (an integer counter's key), the entries it appends are
    numbered by the counter's next values, in the order given
    (:attr:`LogEntry.order`).
    """

    def __init__(self, bus: Bus, *, order: str | None = None) -> None:
        self._bus = bus
        self.order = order
        self.commands: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __len__(self) -> int:
        return len(self.commands)

    def log_append(
        self, log: str, data: Data, *, maxlen: int, retention: float, order: int | None = None
    ) -> None:
        """:meth:`Bus.log_append`; its result is the entry's id. A numbered batch's
        counter gives the entry its order, not ``order``."""
        self.commands.append(
            ("log_append", (log, data), {"maxlen": maxlen, "retention": retention, "order": order})
        )

    def expire(self, key: str, ttl: float) -> None:
        """:meth:`Bus.expire`."""
        self.commands.append(("expire", (key, ttl), {}))

    def publish(self, channel: str, data: Data) -> None:
        """:meth:`Bus.publish`."""
        self.commands.append(("publish", (channel, data), {}))

    def set(self, key: str, data: Data, *, only_if_missing: bool = False) -> None:
        """:meth:`Bus.set` without expiry."""
        self.commands.append(("set", (key, data), {"only_if_missing": only_if_missing}))

    def log_after(self, log: str, after_id: str, *, count: int) -> None:
        """:meth:`Bus.log_after`; its result is the list of entries."""
        self.commands.append(("log_after", (log, after_id), {"count": count}))

    async def execute(self) -> list[Any]:
        """Run the commands, in order; their results, in the same order."""
        numbers = iter(await self._take_numbers())
        results = []
        for name, args, options in self.commands:
            if name == "log_append" and self.order is not None:
                options = {**options, "order": next(numbers)}
            results.append(await getattr(self._bus, name)(*args, **options))
        return results

    async def _take_numbers(self) -> range:
        """The numbers of this batch's appends, taken from its counter (none without one)."""
        appends = sum(name == "log_append" for name, _, _ in self.commands)
        if self.order is None or not appends:
            return range(0)
        last = await self._bus._incr_by(self.order, appends)
        return range(last - appends + 1, last + 1)


def _nothing_to_remove() -> None:
    return None


class Bus(ABC):
    """One interface over queues, pub/sub, keys, locks and logs."""

    url: str
    sharded: bool = False
    """Whether a message reaches only the subscribers of its exact channel (a Redis
    Cluster's sharded pub/sub): :meth:`psubscribe` is then refused."""

    @property
    def pubsub_connections(self) -> int:
        """Pub/sub connections this process holds open: none in memory, one on
        Redis, one per master that owns a subscribed channel on a Redis Cluster."""
        return 0

    # lifecycle -----------------------------------------------------------
    @abstractmethod
    async def connect(self) -> None:
        """Open connections; safe to call once before use."""

    @abstractmethod
    async def close(self) -> None:
        """Close every connection and subscription; idempotent."""

    @abstractmethod
    async def ping(self) -> None:
        """Return if the backend answers, raise :class:`BusUnavailable` otherwise."""

    def add_connection_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``listener(False)`` when the subscriber connection is lost and can't be
        restored at once, ``listener(True)`` once it is back with every subscription
        live (messages published meanwhile were missed); return a function that removes
        the listener. A backend that can't lose its connection never calls it."""
        return _nothing_to_remove

    def batch(self, *, order: str | None = None) -> Batch:
        """An empty :class:`Batch` of commands for this bus, numbering its log entries
        from the counter ``order`` if given."""
        return Batch(self, order=order)

    # queues (LPUSH / BRPOPLPUSH: FIFO) -------------------------------------
    @abstractmethod
    async def push(self, queue: str, data: Data | Pieces, *, max_length: int | None = None) -> int:
        """Append to the queue's head (``LPUSH``); return the new length. With
        ``max_length``, a queue already that long refuses it: :class:`BusOverloaded`.
        :class:`Pieces` are sent as they are produced, never joined in memory where
        the backend stores them elsewhere."""

    @abstractmethod
    async def pop_into(self, queue: str, processing: str, timeout: float) -> bytes | None:  # noqa: ASYNC109
        """Atomically move the oldest item into ``processing`` (``BRPOPLPUSH``) and return it.
        In a Redis Cluster both names must share a hash slot (one hash tag)."""

    @abstractmethod
    async def remove(self, queue: str, data: Data) -> int:
        """Remove one occurrence of ``data`` from a list (``LREM``); return how many."""

    @abstractmethod
    async def items(self, queue: str) -> list[bytes]:
        """Every item of a list, oldest first."""

    # keys ------------------------------------------------------------------
    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The value of ``key``, or ``None`` when missing or expired."""

    @abstractmethod
    async def get_many(self, *keys: str) -> list[bytes | None]:
        """The values of ``keys`` in one round trip (``MGET``): ``None`` where a key is
        missing, expired or not a string."""

    @abstractmethod
    async def set(
        self, key: str, data: Data, *, ttl: float | None = None, only_if_missing: bool = False
    ) -> bool:
        """Store ``data`` (expiring after ``ttl`` s); with ``only_if_missing``, ``SET NX``."""

    @abstractmethod
    async def _incr_by(self, key: str, amount: int) -> int:
        """Add ``amount`` to the integer at ``key`` (0 when missing) and return the sum
        (``INCRBY``; a numbered :class:`Batch` takes its numbers so); :class:`BusError`
        if ``key`` holds something else."""

    @abstractmethod
    async def delete(self, *keys: str) -> int:
        """Delete keys; return how many existed."""

    @abstractmethod
    async def expire(self, key: str, ttl: float) -> bool:
        """Reset a key's time to live; ``False`` if it does not exist."""

    @abstractmethod
    async def scan(self, pattern: str) -> list[str]:
        """Names of live keys matching a glob ``pattern`` (``SCAN MATCH``)."""

    # pub/sub ------------------------------------------------------------------
    @abstractmethod
    async def publish(self, channel: str, data: Data) -> int:
        """Publish; return how many subscribers (across processes, if known) got it."""

    @abstractmethod
    async def subscribe(self, *channels: str, buffer: int = 1000) -> Subscription:
        """Subscribe to exact channel names; returns once the subscription is live."""

    @abstractmethod
    async def psubscribe(self, *patterns: str, buffer: int = 1000) -> Subscription:
        """Subscribe to glob patterns; returns once the subscription is live.
        :class:`BusError` on a :attr:`sharded` bus."""

    # locks ------------------------------------------------------------------
    @abstractmethod
    def lock(self, name: str, *, ttl: float, wait: float) -> AbstractAsyncContextManager[None]:
        """Mutual exclusion across processes: held at most ``ttl`` s; raise
        :class:`LockNotAcquired` after waiting ``wait`` s."""

    # counted holders (a sorted set of leases) --------------------------------------
    @abstractmethod
    async def claim_slot(self, key: str, holder: str, *, limit: int, ttl: float) -> bool:
        """Hold one of ``limit`` slots of ``key`` for ``holder`` for ``ttl`` s, in one
        atomic step; ``False`` (nothing changed) when ``limit`` other live holders have
        them. A holder not renewed (:meth:`renew_slots`) within ``ttl`` s no longer
        counts. Expiry is judged by this process's clock: instances' clocks must agree
        to well within ``ttl``."""

    @abstractmethod
    async def renew_slots(self, slots: Mapping[str, Collection[str]], ttl: float) -> None:
        """Extend the slots ``key -> holders`` still held by another ``ttl`` s, in one
        round trip; a slot that has lapsed is not taken again."""

    @abstractmethod
    async def release_slot(self, key: str, holder: str) -> None:
        """Free ``holder``'s slot of ``key``; a slot not held is ignored."""

    # per-user logs (Redis Streams) ---------------------------------------------
    @abstractmethod
    async def log_append(
        self, log: str, data: Data, *, maxlen: int, retention: float, order: int | None = None
    ) -> str:
        """Append (with :attr:`LogEntry.order` ``order``) and return the entry's id; keep
        at most ``maxlen`` entries and none older than ``retention`` s (approximately,
        as ``XADD MAXLEN/MINID``)."""

    @abstractmethod
    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        """``count`` new ids of ``log``, increasing, in one round trip, as if ``count``
        empty entries were appended and only the newest kept: ``log`` as a sequence
        of ids. On Redis the work is two appends however many ids are taken.

        With ``first_into``, the first id is also stored at that key unless it
        exists (``SET NX``, no expiry): in the same step on one Redis server and in
        memory, in a second round trip on a Redis Cluster (the two keys' slots
        differ)."""

    @abstractmethod
    async def log_after(self, log: str, after_id: str, *, count: int) -> list[LogEntry]:
        """Entries with an id greater than ``after_id``, oldest first, at most ``count``."""

    # streams (XADD / XREAD BLOCK) ------------------------------------------------
    @abstractmethod
    async def stream_add(
        self, stream: str, fields: Mapping[str, Data], *, maxlen: int, ttl: float
    ) -> str:
        """Append an entry (``XADD MAXLEN ~ maxlen``), make the stream expire ``ttl`` s
        after it, and return the entry's id."""

    @abstractmethod
    async def stream_read(
        self,
        stream: str,
        after_id: str,
        *,
        count: int,
        block: float,
    ) -> list[StreamEntry]:
        """Up to ``count`` entries with an id greater than ``after_id`` (``"0"``: from the
        start), waiting up to ``block`` s for one when there are none (``XREAD BLOCK``);
        an empty list if none came."""
