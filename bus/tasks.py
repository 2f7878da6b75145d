"""Stopping the bus's background tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)

_STOP_WITHIN = 5.0


async def stop_tasks(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait for them, a bounded time.

    Bounded because Python 3.11's ``wait_for`` (used inside redis-py and fakeredis)
    can swallow a cancellation that lands as a reply arrives; closing must not hang
    on that.
    """
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, stuck = await asyncio.wait(pending, timeout=_STOP_WITHIN)
    for task in stuck:
        logger.warning("bus task %s did not stop within %.0f s", task.get_name(), _STOP_WITHIN)
