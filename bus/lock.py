"""The lock every backend offers: ``SET NX`` with a token, compare-and-delete release."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bus.base import Bus, LockNotAcquired

# Polling, like redis-py's own Lock: a Redis client can't be woken by a DEL on
# another connection without a subscription per waiter, which costs more than it
# saves for locks held a few milliseconds.
_FIRST_POLL = 0.002
_LONGEST_POLL = 0.05

Release = Callable[[str, str], Awaitable[bool]]


@asynccontextmanager
async def hold_lock(
    bus: Bus, release: Release, name: str, *, ttl: float, wait: float
) -> AsyncIterator[None]:
    """Hold lock ``name`` on ``bus`` (acquired by ``SET NX PX`` of a token) for the block.

    ``release(name, token)`` deletes the key only if it still holds this holder's
    token, so a holder whose ``ttl`` ran out never frees a lock someone else took since.
    """
    token = secrets.token_hex(16)
    deadline = time.monotonic() + wait
    poll = _FIRST_POLL
    while not await bus.set(name, token, ttl=ttl, only_if_missing=True):
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockNotAcquired(f"lock {name!r} still held after {wait} s")
        await asyncio.sleep(min(poll, left))
        poll = min(poll * 2, _LONGEST_POLL)
    try:
        yield
    finally:
        await release(name, token)
