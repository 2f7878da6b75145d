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


class SubscriberTable:
    """The subscriptions listening on each channel (or pattern) name, for every backend.

    A name is in the table exactly while someone listens on it.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, set[BufferedSubscription]] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        """Every name listened on, as a list the caller may hold across changes."""
        return list(self._by_name)

    def subscriptions(self) -> set[BufferedSubscription]:
        """Every subscription listening on any name."""
        return {subscription for subs in self._by_name.values() for subscription in subs}

    def add(self, name: str, subscription: BufferedSubscription) -> bool:
        """Listen on ``name``; ``True`` if nobody did before."""
        subscribers = self._by_name.get(name)
        if subscribers is None:
            self._by_name[name] = {subscription}
            return True
        subscribers.add(subscription)
        return False

    def discard(self, name: str, subscription: BufferedSubscription) -> bool:
        """Stop listening on ``name``; ``True`` if nobody listens on it any more."""
        subscribers = self._by_name.get(name)
        if subscribers is None:
            return False
        subscribers.discard(subscription)
        if subscribers:
            return False
        del self._by_name[name]
        return True

    def pop(self, name: str) -> set[BufferedSubscription]:
        """Stop listening on ``name``; return the subscriptions that did."""
        return self._by_name.pop(name, set())

    def deliver(self, name: str, message: Message) -> None:
        """Buffer ``message`` in every subscription listening on ``name``."""
        for subscription in list(self._by_name.get(name, ())):
            subscription.deliver(message)

    def end_all(self) -> None:
        """End every subscription (the backend is closing) and forget every name."""
        for subscribers in self._by_name.values():
            for subscription in subscribers:
                subscription.end()
        self._by_name.clear()
