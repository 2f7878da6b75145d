"""A bus call that never answers and loses a cancellation, as seen under Python 3.11.

Python 3.11's ``asyncio.wait_for`` returns the awaited result instead of raising
when a cancellation lands in the loop step where that result arrives. redis-py and
fakeredis wait for replies with it, so a cancelled blocking pop may simply return.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def never_answers(*args: Any, **kwargs: Any) -> Any:
    """A command to a server that took it and never replies."""
    await asyncio.Event().wait()


def losing_first_cancellation(call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``call``, except that the first cancellation landing in it is lost: it returns ``None``."""
    lost = False

    async def losing(*args: Any, **kwargs: Any) -> Any:
        nonlocal lost
        try:
            return await call(*args, **kwargs)
        except asyncio.CancelledError:
            if lost:
                raise
            lost = True
            return None

    return losing
