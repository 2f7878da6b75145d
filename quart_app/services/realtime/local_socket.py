"""One authenticated socket on this instance: a bounded send queue and its own sender.

Fan-out only ever calls :meth:`LocalSocket.offer`, which never waits: a socket
whose queue is full is closed (``1013``, try again later) rather than slowing
the fan-out to everyone else; its client reconnects with ``last_event_id`` and
replays what it missed.

Delivery is at least once (the outbox relay may publish a notification again,
and a replay may overlap live frames): a socket drops a notification whose id
is among the last ``RECENT_IDS`` it delivered (``delivered.py``, 8 bytes an
id), so its client sees each once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import Any

from domain.connections import Connection
from quart_app.observability.metrics import NOTIFICATIONS_DROPPED
from quart_app.services.realtime.delivered import DeliveredIds

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_SILENT = 4408
CLOSE_TOO_MANY_CONNECTIONS = 4429
CLOSE_TOKEN_EXPIRED = 4498

Send = Callable[[str], Awaitable[None]]
Receive = Callable[[], Awaitable[str | bytes]]
OnFrame = Callable[["LocalSocket", str | bytes], None]


class LocalSocket:
    """A connection's bounded send queue, its replay hold, and the loops serving it.

    The sender is a task of its own; the receiving loop runs in the task that
    calls :meth:`run` (the route's), which :meth:`close` interrupts. The queue
    is a bare deque with one wake-up future: at thousands of sockets per
    process, an ``asyncio.Queue`` and a second task each cost kilobytes.
    """

    __slots__ = (
        "_delivered",
        "_held",
        "_interrupting",
        "_limit",
        "_pending",
        "_reader",
        "_sender",
        "_wakeup",
        "close_code",
        "close_reason",
        "connection",
        "expires_at",
        "last_seen",
    )

    def __init__(
        self,
        connection: Connection,
        *,
        queue_size: int,
        now: float,
        expires_at: float | None = None,
    ) -> None:
        self.connection = connection
        self.last_seen = now
        self.expires_at = expires_at
        """When the socket's token expires (Unix seconds); a refresh moves it."""
        self.close_code: int | None = None
        self.close_reason = ""
        self._limit = queue_size
        self._pending: deque[str] = deque()
        self._delivered = DeliveredIds()
        self._wakeup: asyncio.Future[None] | None = None
        self._held: deque[tuple[str | None, str]] | None = None
        self._reader: asyncio.Task[Any] | None = None
        self._interrupting = False
        self._sender: asyncio.Task[None] | None = None

    @property
    def connection_id(self) -> str:
        return self.connection.connection_id

    @property
    def user_id(self) -> str:
        return self.connection.user_id

    def offer(self, frame: str, event_id: str | None = None) -> None:
        """Queue ``frame`` without waiting; close the socket if it can't keep up."""
        if self.close_code is not None or self._repeats(event_id):
            return
        held = self._held
        if held is None and len(self._pending) < self._limit:
            self._pending.append(frame)
            wakeup = self._wakeup
            if wakeup is not None and not wakeup.done():
                wakeup.set_result(None)
            return
        if held is not None and len(held) < self._limit:
            held.append((event_id, frame))
            return
        log.warning("closing slow consumer %s of user %s", self.connection_id, self.user_id)
        NOTIFICATIONS_DROPPED.labels("slow_client").inc()
        self.close(CLOSE_TRY_AGAIN_LATER, "too slow; reconnect with last_event_id")

    def _repeats(self, event_id: str | None) -> bool:
        """Whether ``event_id`` was delivered here already; remember it if not."""
        return event_id is not None and not self._delivered.first_time(event_id)

    def hold(self) -> None:
        """Keep live frames aside until the replay given to :meth:`run` is sent."""
        self._held = deque()

    def close(self, code: int, reason: str) -> None:
        """Stop serving; :meth:`run` returns and the route closes with ``code``."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        if self._sender is not None:
            self._sender.cancel()
        if self._reader is not None:
            self._interrupting = True
            self._reader.cancel()

    async def run(
        self,
        receive: Receive,
        send: Send,
        on_frame: OnFrame,
        replay: Sequence[tuple[str | None, str]] = (),
    ) -> None:
        """Send the ``(id, frame)`` ``replay``, then serve until :meth:`close`,
        a failed send, or the peer going away."""
        if self.close_code is not None:  # closed before it began (e.g. during replay)
            return
        for event_id, _ in replay:
            self._repeats(event_id)  # a live copy arriving later is dropped
        self._reader = reader = asyncio.current_task()
        self._sender = sender = asyncio.create_task(self._drain(send, replay))
        sender.add_done_callback(self._sender_ended)
        try:
            while True:
                on_frame(self, await receive())
        except asyncio.CancelledError:
            # Our own close() cancelled the read: that is a normal end. Any
            # other cancellation (the peer left, the server stops) goes on.
            if not self._interrupting or reader is None or reader.uncancel() > 0:
                raise
        finally:
            self._reader = None
            sender.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await sender

    def _sender_ended(self, sender: asyncio.Task[None]) -> None:
        if not sender.cancelled() and sender.exception() is not None:
            self.close(CLOSE_GOING_AWAY, "sending failed")

    async def _drain(self, send: Send, replay: Sequence[tuple[str | None, str]]) -> None:
        await self._replay(send, replay)
        pending = self._pending
        loop = asyncio.get_running_loop()
        while True:
            while pending:
                await send(pending.popleft())
            self._wakeup = loop.create_future()
            await self._wakeup
            self._wakeup = None

    async def _replay(self, send: Send, replay: Sequence[tuple[str | None, str]]) -> None:
        # A coroutine of its own: its set of ids is freed once the replay is sent.
        sent = {event_id for event_id, _ in replay}
        for _, frame in replay:
            await send(frame)
        # Frames that arrived live during the replay, minus those it carried;
        # offers keep landing here until it is empty, so order is kept.
        while self._held:
            event_id, frame = self._held.popleft()
            if event_id is None or event_id not in sent:
                await send(frame)
        self._held = None
