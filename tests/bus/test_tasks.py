"""Stopping background tasks ends even a loop that lost its cancellation."""

from __future__ import annotations

import asyncio

from bus.tasks import stop_tasks
from tests.support.cancellation import losing_first_cancellation, never_answers


async def test_a_loop_that_lost_its_cancellation_is_cancelled_again() -> None:
    pop = losing_first_cancellation(never_answers)
    calls = 0

    async def consume() -> None:
        nonlocal calls
        while True:
            calls += 1
            await pop()

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()

    await stop_tasks([task])

    assert task.cancelled()
    assert calls == 2  # the cancellation was lost once, then the loop went on
    assert loop.time() - started < 2.0
