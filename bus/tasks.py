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
    waits with it for every command it writes (so a cluster read, two commands,
    loses one more often), and fakeredis for a blocking pop's reply. A loop that
    swallowed its cancellation that way goes on forever, so a task still running
    is cancelled again every ``_CANCEL_AGAIN_AFTER`` s: its next wait raises.

    A caller cancelled while it waits here (a task stopping its own tasks in a
    ``finally``, itself cancelled again by a ``stop_tasks`` above it) still waits
    for them before the cancellation goes on: left behind, a task that lost its
    cancellation would run on with no one to stop it.
    """
    pending = {task for task in tasks if not task.done()}
    if not pending:
        return
    stopping = asyncio.ensure_future(_cancel_until_done(pending))
    interrupted = False
    while not stopping.done():
        try:
            await asyncio.shield(stopping)
        except asyncio.CancelledError:
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError


async def _cancel_until_done(pending: set[asyncio.Task[None]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STOP_WITHIN
    while pending:
        for task in pending:
            task.cancel()
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(_CANCEL_AGAIN_AFTER, remaining))
    for task in pending:
        logger.warning("task %s did not stop within %.0f s", task.get_name(), _STOP_WITHIN)
