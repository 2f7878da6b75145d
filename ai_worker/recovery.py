"""Putting back requests that a stopped or crashed worker had taken but not answered."""

from __future__ import annotations

import logging

from ai_worker.requests import request_kind
from bus.base import Bus, LockNotAcquired
from bus.keys import (
    AI_REQUEUE_LOCK,
    AI_WORKERS_PATTERN,
    ai_processing_worker,
    ai_queue,
    ai_worker_alive,
)

logger = logging.getLogger(__name__)


async def requeue_list(bus: Bus, processing: str) -> int:
    """Move every request of ``processing`` back to its queue; return how many.

    Each is pushed before it is removed, so a crash in between duplicates a
    request rather than losing it. One whose kind can't be read is dropped.
    """
    moved = 0
    for raw in await bus.items(processing):
        kind = request_kind(raw)
        if kind is None:
            logger.warning("dropping an unreadable request left in %s", processing)
        else:
            await bus.push(ai_queue(kind), raw)
            moved += 1
        await bus.remove(processing, raw)
    return moved


async def requeue_orphans(bus: Bus, own_worker_id: str, *, include_own: bool) -> int:
    """Requeue the processing lists of workers whose heartbeat expired.

    ``include_own`` also requeues ``own_worker_id``'s list: right for a worker
    that is starting (a previous run under that id left it), wrong for one
    that is serving it. Returns how many requests went back; 0 if another
    worker is requeueing right now.
    """
    moved = 0
    try:
        async with bus.lock(AI_REQUEUE_LOCK, ttl=30.0, wait=0.5):
            for processing in await bus.scan(AI_WORKERS_PATTERN):
                worker_id = ai_processing_worker(processing)
                if worker_id == own_worker_id:
                    if not include_own:
                        continue
                elif await bus.get(ai_worker_alive(worker_id)) is not None:
                    continue
                count = await requeue_list(bus, processing)
                if count:
                    logger.warning("requeued %d requests left by worker %s", count, worker_id)
                moved += count
    except LockNotAcquired:
        logger.debug("another worker is requeueing orphans")
    return moved
