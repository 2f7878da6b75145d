"""Stopping background tasks: cancelled until they stop, a bounded time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)

_STOP_WITHIN = 5.0
_CANCEL_AGAIN_AFTER = 0.2


async def stop_tasks(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait for them, at most ``_STOP_WITHIN`` s.

    Python 3.11's ``asyncio.wait_for`` returns the awaited result instead of raising
    when a cancellation lands in the loop step where that result arrives; redis-py
    and fakeredis (a blocking pop's reply) wait with it. A loop that swallowed its
    cancellation that way goes on forever, so a task still running is cancelled
    again every ``_CANCEL_AGAIN_AFTER`` s: its next wait raises.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STOP_WITHIN
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(_CANCEL_AGAIN_AFTER, remaining))
    for task in pending:
        logger.warning("task %s did not stop within %.0f s", task.get_name(), _STOP_WITHIN)
