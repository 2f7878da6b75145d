"""One pub/sub connection per process, shared by every subscription (saq's multiplexer).

Subscriptions register here; the first subscriber of a name sends ``SUBSCRIBE``
and waits for Redis to confirm it, later ones join at no cost. One reader task
routes each message to the subscriptions of its channel or pattern. When the
connection drops it reconnects (at once, then with backoff), subscribes every
name again, and tells the connection listeners, so that waiters can re-read
what they may have missed.

Sharded (a Redis Cluster's ``SSUBSCRIBE``, :mod:`bus.cluster_subscriber`): one
such subscriber per master, channels only; each command names the channels of
one hash slot, and a channel the server unsubscribes by itself (its slot moved
to another master) is handed to ``on_moved``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.crc import key_slot
from redis.exceptions import AskError, ResponseError

from bus.base import BusUnavailable, Message
from bus.redis_errors import CONNECTION_ERRORS
from bus.subscription import BufferedSubscription, SubscriberTable
from bus.tasks import stop_tasks

logger = logging.getLogger(__name__)

Listener = Callable[[bool], None]


class ConnectionListeners:
    """Who is told the pub/sub connection went down (``False``) or came back (``True``)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def add(self, listener: Listener) -> Callable[[], None]:
        """Tell ``listener`` from now on; the function returned stops that (idempotent)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, *, up: bool) -> None:
        """Tell every listener; one that fails is logged, the others are still told."""
        for listener in list(self._listeners):
            try:
                listener(up)
            except Exception:
                logger.exception("bus connection listener failed")


class SlotRefused(BusUnavailable):
    """A master refused a sharded channel: its slot is served elsewhere now (MOVED)."""


# What a subscribe or a read ends with when the connection is lost.
_LOST = (BusUnavailable, TimeoutError, *CONNECTION_ERRORS)
_CONFIRM_TIMEOUT = 5.0
_FIRST_RETRY = 0.05
# Short: a failed-over master is back as soon as the sentinels name it (about two
# seconds with down-after-milliseconds 1000), and a refused connect costs nothing.
_LONGEST_RETRY = 0.5


class _State(enum.Enum):
    IDLE = "idle"
    UP = "up"
    RECONNECTING = "reconnecting"
    DOWN = "down"
    CLOSED = "closed"


class _Kind:
    """The commands and replies of one kind of subscription (channels or patterns)."""

    def __init__(self, subscribe: str, unsubscribe: str) -> None:
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
        self.confirmation = subscribe.lower().encode()
        self.unsubscribed = unsubscribe.lower().encode()
        self.subscribers = SubscriberTable()


class SharedSubscriber:
    """Multiplexes every channel and pattern subscription of a process on one connection."""

    def __init__(
        self,
        make_connection: Callable[[], AbstractConnection],
        *,
        health_check_interval: float,
        sharded: bool = False,
        on_moved: Callable[[str], None] | None = None,
    ) -> None:
        self._make_connection = make_connection
        self._health_check_interval = health_check_interval
        self._sharded = sharded
        self._on_moved = on_moved
        self._message = b"smessage" if sharded else b"message"
        self._channels = (
            _Kind("SSUBSCRIBE", "SUNSUBSCRIBE") if sharded else _Kind("SUBSCRIBE", "UNSUBSCRIBE")
        )
        self._patterns = _Kind("PSUBSCRIBE", "PUNSUBSCRIBE")
        self._confirmations: dict[tuple[bytes, str], asyncio.Future[None]] = {}
        self._listeners = ConnectionListeners()
        self._connection: AbstractConnection | None = None
        self._state = _State.IDLE
        self._restored = asyncio.Event()
        self._starting = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._unanswered_pings = 0

    @property
    def subscription_count(self) -> int:
        """Live subscriptions, channel and pattern."""
        return len(
            self._channels.subscribers.subscriptions() | self._patterns.subscribers.subscriptions()
        )

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """See :meth:`bus.base.Bus.add_connection_listener`."""
        return self._listeners.add(listener)

    @property
    def connection_count(self) -> int:
        """Connections open now: this one, or none."""
        return int(self._connection is not None)

    @property
    def up(self) -> bool:
        """Whether the connection is up with every subscription live."""
        return self._state is _State.UP

    def channels(self) -> list[str]:
        """Every channel subscribed here."""
        return self._channels.subscribers.names()

    def subscriptions(self) -> set[BufferedSubscription]:
        """Every subscription listening on a channel here."""
        return self._channels.subscribers.subscriptions()

    async def take(self, name: str) -> set[BufferedSubscription]:
        """Stop listening on channel ``name`` here; return its subscriptions, still open."""
        taken = self._channels.subscribers.pop(name)
        if taken:
            await self._unsubscribe(self._channels, [name])
        return taken

    async def adopt(self, name: str, subscriptions: set[BufferedSubscription]) -> None:
        """Listen on channel ``name`` here for ``subscriptions``: at once while the
        connection is up (waiting for the confirmation), else when it next opens."""
        for subscription in subscriptions:
            self._channels.subscribers.add(name, subscription)
        if self._state is _State.UP:
            confirmation = self._expect(self._channels, name)
            try:
                await self._send(self._channels.subscribe, name)
                async with asyncio.timeout(_CONFIRM_TIMEOUT):
                    await asyncio.shield(confirmation)
            except SlotRefused as error:
                raise SlotRefused(f"could not subscribe to {name}: {error}") from error
            except _LOST as error:
                raise BusUnavailable(f"could not subscribe to {name}: {error}") from error

    async def start(self) -> None:
        """Open the connection (subscribing every name) unless it is open;
        :class:`BusUnavailable` if it can't be."""
        await self._ready()

    async def subscribe(
        self,
        names: tuple[str, ...],
        buffer: int,
        *,
        patterns: bool,
        subscription: BufferedSubscription | None = None,
    ) -> BufferedSubscription:
        """A subscription to ``names``, live (confirmed by Redis) when this returns;
        ``subscription`` (made by the caller, who unregisters it) listens on them instead
        of a new one."""
        kind = self._patterns if patterns else self._channels
        await self._ready()

        async def unregister(subscription: BufferedSubscription) -> None:
            await self.unregister(names, subscription, patterns=patterns)

        own = subscription is None
        if subscription is None:
            subscription = BufferedSubscription(
                () if patterns else names, names if patterns else (), buffer, unregister
            )
        waits: list[asyncio.Future[None]] = []
        new: list[str] = []
        for name in names:
            confirmation = self._confirmations.get((kind.confirmation, name))
            if kind.subscribers.add(name, subscription):
                new.append(name)
                confirmation = self._expect(kind, name)
            if confirmation is not None:
                waits.append(confirmation)
        try:
            await self._send_all(kind.subscribe, new)
            async with asyncio.timeout(_CONFIRM_TIMEOUT):
                await asyncio.gather(*(asyncio.shield(wait) for wait in waits))
        except _LOST as error:
            await self.unregister(names, subscription, patterns=patterns)
            if own:
                subscription.end()
            failed = SlotRefused if isinstance(error, SlotRefused) else BusUnavailable
            raise failed(f"could not subscribe to {names}: {error}") from error
        return subscription

    async def close(self) -> None:
        """Close the connection and end every subscription."""
        self._state = _State.CLOSED
        await stop_tasks(self._tasks)
        self._tasks.clear()
        self._fail_confirmations()
        self._channels.subscribers.end_all()
        self._patterns.subscribers.end_all()
        await self._disconnect()

    # connection ---------------------------------------------------------------
    async def _ready(self) -> None:
        async with self._starting:
            if self._state is _State.CLOSED:
                raise BusUnavailable("the bus is closed")
            if self._state is _State.IDLE:
                try:
                    await self._open()
                except CONNECTION_ERRORS as error:
                    await self._disconnect()
                    raise BusUnavailable(f"Redis is unavailable: {error}") from error
                self._state = _State.UP
                self._tasks = [
                    asyncio.create_task(self._read_forever(), name="bus-pubsub-reader"),
                    asyncio.create_task(self._check_health(), name="bus-pubsub-health"),
                ]
        if self._state is _State.RECONNECTING:
            # A drop is being repaired this instant; give it the time a subscribe gets.
            try:
                async with asyncio.timeout(_CONFIRM_TIMEOUT):
                    await self._restored.wait()
            except TimeoutError:
                pass
        if self._state is not _State.UP:
            raise BusUnavailable("the Redis pub/sub connection is down")

    async def _open(self) -> None:
        """Connect and subscribe every registered name again, waiting for Redis to confirm."""
        # Bounded as a whole: a server that accepts connections but never
        # answers (stopped, overloaded) would hold the handshake forever.
        async with asyncio.timeout(_CONFIRM_TIMEOUT):
            self._connection = connection = self._make_connection()
            await connection.connect()  # type: ignore[no-untyped-call]  # untyped in redis-py
            self._unanswered_pings = 0
            waits: list[asyncio.Future[None]] = []
            for kind in (self._channels, self._patterns):
                names = kind.subscribers.names()
                waits.extend(self._expect(kind, name) for name in names)
                await self._send_all(kind.subscribe, names)
            while not all(wait.done() for wait in waits):
                self._handle(await connection.read_response())

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await connection.disconnect(nowait=True)

    async def _send_all(self, command: str, names: list[str]) -> None:
        # A sharded command must keep to one slot (CROSSSLOT otherwise).
        batches: dict[int, list[str]] = {}
        for name in names:
            batches.setdefault(key_slot(name.encode()) if self._sharded else 0, []).append(name)
        for batch in batches.values():
            await self._send(command, *batch)

    async def _send(self, *command: str) -> None:
        if self._connection is None:
            raise BusUnavailable("the Redis pub/sub connection is down")
        await self._connection.send_command(*command, check_health=False)

    async def _read_forever(self) -> None:
        while True:
            try:
                if self._connection is None:
                    raise BusUnavailable("the Redis pub/sub connection is gone")
                response = await self._connection.read_response()
            except _LOST as error:
                await self._reconnect(error)
                continue
            except ResponseError as error:
                # A refused (S)SUBSCRIBE (MOVED while a slot changes hands): its
                # confirmation never comes. Its waiter hears at once, not after
                # _CONFIRM_TIMEOUT: a cluster moves channels under a lock that
                # every new subscription waits for.
                logger.warning("Redis refused a pub/sub command: %s", error)
                if isinstance(error, AskError):
                    self._refuse_slot(error)
                continue
            # Every subscription in the process hangs on this task: a reply it
            # can't handle costs that reply, never the reader.
            try:
                self._handle(response)
            except Exception:
                logger.exception(
                    "dropped a pub/sub reply that could not be handled: %.200r", response
                )

    async def _reconnect(self, error: BaseException) -> None:
        logger.warning("Redis pub/sub connection lost (%s); reconnecting", error)
        self._state = _State.RECONNECTING
        self._restored.clear()
        self._fail_confirmations()
        delay = _FIRST_RETRY
        while True:
            await self._disconnect()
            try:
                await self._open()
                break
            except _LOST as retry_error:
                if self._state is not _State.DOWN:
                    logger.warning(
                        "Redis is down (%s); retrying every %.2f s at most",
                        retry_error,
                        _LONGEST_RETRY,
                    )
                    self._state = _State.DOWN
                    self._listeners.notify(up=False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LONGEST_RETRY)
        self._state = _State.UP
        self._restored.set()
        logger.info(
            "Redis pub/sub connection restored; %d channels and %d patterns subscribed again",
            len(self._channels.subscribers),
            len(self._patterns.subscribers),
        )
        self._listeners.notify(up=True)

    async def _check_health(self) -> None:
        # A server that vanished without closing the socket never wakes the
        # reader; an unanswered PING one interval later tells us instead.
        while True:
            await asyncio.sleep(self._health_check_interval)
            if self._state is not _State.UP or self._connection is None:
                continue
            if self._unanswered_pings:
                logger.warning(
                    "Redis pub/sub connection silent for %.1f s", self._health_check_interval
                )
                await self._disconnect()
                continue
            self._unanswered_pings += 1
            with contextlib.suppress(*CONNECTION_ERRORS):
                await self._send("PING")

    # subscriptions -------------------------------------------------------------
    def _expect(self, kind: _Kind, name: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations[(kind.confirmation, name)] = future
        return future

    def _fail_confirmations(self) -> None:
        for future in self._confirmations.values():
            if not future.done():
                future.set_exception(BusUnavailable("the Redis pub/sub connection was lost"))
                # Retrieved by nobody when its subscriber gave up already.
                future.exception()
        self._confirmations.clear()

    def _refuse_slot(self, redirect: AskError) -> None:
        refused = SlotRefused(
            f"slot {redirect.slot_id} is served by {redirect.host}:{redirect.port}"
        )
        for key, future in list(self._confirmations.items()):
            if key_slot(key[1].encode()) == redirect.slot_id:
                del self._confirmations[key]
                if not future.done():
                    future.set_exception(refused)
                    future.exception()  # retrieved by nobody if its subscriber gave up

    async def unregister(
        self, names: tuple[str, ...], subscription: BufferedSubscription, *, patterns: bool
    ) -> None:
        """Stop ``subscription`` listening on ``names`` here (it stays open)."""
        kind = self._patterns if patterns else self._channels
        gone = [name for name in names if kind.subscribers.discard(name, subscription)]
        await self._unsubscribe(kind, gone)

    async def _unsubscribe(self, kind: _Kind, names: list[str]) -> None:
        if names and self._state is _State.UP:
            # Not confirmed: nothing waits for it, and a new SUBSCRIBE sent after
            # it is confirmed after it, in order.
            with contextlib.suppress(*_LOST):
                await self._send_all(kind.unsubscribe, names)

    def _handle(self, response: Any) -> None:
        if not isinstance(response, list) or not response:
            self._unanswered_pings = 0  # +PONG outside subscribed mode
            return
        kind_of_reply = response[0]
        if kind_of_reply == self._message:
            channel = _text(response[1])
            self._channels.subscribers.deliver(channel, Message(channel, response[2]))
        elif kind_of_reply == b"pmessage":
            pattern = _text(response[1])
            message = Message(_text(response[2]), response[3], pattern)
            self._patterns.subscribers.deliver(pattern, message)
        elif kind_of_reply == b"pong":
            self._unanswered_pings = 0
        elif kind_of_reply in (self._channels.confirmation, self._patterns.confirmation):
            future = self._confirmations.pop((kind_of_reply, _text(response[1])), None)
            if future is not None and not future.done():
                future.set_result(None)
        elif kind_of_reply == self._channels.unsubscribed and self._on_moved is not None:
            # Our own SUNSUBSCRIBE is answered too; only a channel still listened
            # on was dropped by the server: its slot moved.
            channel = _text(response[1])
            if channel in self._channels.subscribers:
                self._on_moved(channel)


def _text(name: bytes) -> str:
    # Any client may publish on any bytes, and a pattern matches them: a channel
    # that is not UTF-8 arrives with U+FFFD for its bad bytes rather than not at all.
    return name.decode(errors="replace")
