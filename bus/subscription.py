"""A subscriber's bounded buffer, shared by every backend's :class:`Subscription`."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from bus.base import Message, Subscription


class BufferedSubscription(Subscription):
    """Receives messages through :meth:`deliver`; keeps at most ``buffer`` of them.

    ``on_close`` is awaited once, on the first :meth:`close`, to unregister the
    subscription from its backend.
    """

    def __init__(
        self,
        channels: tuple[str, ...],
        patterns: tuple[str, ...],
        buffer: int,
        on_close: Callable[[BufferedSubscription], Awaitable[None]],
    ) -> None:
        if buffer < 1:
            raise ValueError("a subscription buffer holds at least one message")
        self.channels = channels
        self.patterns = patterns
        self.dropped = 0
        self._messages: deque[Message] = deque(maxlen=buffer)
        self._arrived = asyncio.Event()
        self._on_close = on_close
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (or the backend ended the subscription)."""
        return self._closed

    def deliver(self, message: Message) -> None:
        """Buffer ``message``, dropping (and counting) the oldest when full."""
        if self._closed:
            return
        if len(self._messages) == self._messages.maxlen:
            self.dropped += 1
        self._messages.append(message)
        self._arrived.set()

    async def get(self, timeout: float | None = None) -> Message | None:  # noqa: ASYNC109
        while not self._messages:
            if self._closed:
                return None
            self._arrived.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._arrived.wait()
            except TimeoutError:
                return None
        return self._messages.popleft()

    def end(self) -> None:
        """Mark closed without unregistering (the backend is closing); wakes readers."""
        self._closed = True
        self._messages.clear()
        self._arrived.set()

    async def close(self) -> None:
        if self._closed:
            return
        self.end()
        await self._on_close(self)
