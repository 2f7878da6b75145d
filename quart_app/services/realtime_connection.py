"""One authenticated socket on this instance: a bounded send queue and its own sender.

Fan-out only ever calls :meth:`LocalSocket.offer`, which never waits: a socket
whose queue is full is closed (``1013``, try again later) rather than slowing
the fan-out to everyone else; its client reconnects with ``last_event_id`` and
replays what it missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress

from domain.connections import Connection

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_SILENT = 4408

Send = Callable[[str], Awaitable[None]]
Receive = Callable[[], Awaitable[str | bytes]]
OnFrame = Callable[["LocalSocket", str | bytes], None]


class LocalSocket:
    """A connection's send queue, its replay hold, and the two loops serving it."""

    def __init__(self, connection: Connection, *, queue_size: int, now: float) -> None:
        self.connection = connection
        self.last_seen = now
        self.close_code: int | None = None
        self.close_reason = ""
        self._queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self._held: deque[tuple[str | None, str]] | None = None
        self._tasks: tuple[asyncio.Task[None], ...] = ()

    @property
    def connection_id(self) -> str:
        return self.connection.connection_id

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    @property
    def user_id(self) -> str:
        return self.connection.user_id

    def offer(self, frame: str, event_id: str | None = None) -> None:
        """Queue ``frame`` without waiting; close the socket if it can't keep up."""
        if self.close_code is not None:
            return
        held = self._held
        if held is None:
            try:
                self._queue.put_nowait(frame)
                return
            except asyncio.QueueFull:
                pass
        elif len(held) < self._queue.maxsize:
            held.append((event_id, frame))
            return
        log.warning("closing slow consumer %s of user %s", self.connection_id, self.user_id)
        self.close(CLOSE_TRY_AGAIN_LATER, "too slow; reconnect with last_event_id")

    def hold(self) -> None:
        """Keep live frames aside until the replay given to :meth:`run` is sent."""
        self._held = deque()

    def close(self, code: int, reason: str) -> None:
        """Stop serving; :meth:`run` returns and the route closes with ``code``."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        for task in self._tasks:
            task.cancel()

    async def run(
        self,
        receive: Receive,
        send: Send,
        on_frame: OnFrame,
        replay: Sequence[tuple[str | None, str]] = (),
    ) -> None:
        """Send the ``(id, frame)`` ``replay``, then serve until :meth:`close`,
        a failed send, or the peer going away."""
        self._tasks = (
            asyncio.create_task(self._drain(send, replay)),
            asyncio.create_task(self._read(receive, on_frame)),
        )
        try:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with suppress(asyncio.CancelledError, Exception):
                    await task

    async def _drain(self, send: Send, replay: Sequence[tuple[str | None, str]]) -> None:
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
        while True:
            await send(await self._queue.get())

    async def _read(self, receive: Receive, on_frame: OnFrame) -> None:
        while True:
            on_frame(self, await receive())
