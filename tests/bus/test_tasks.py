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


async def test_a_task_stopping_its_own_tasks_when_cancelled_again_still_stops_them() -> None:
    # The inner task loses its first cancellation; its owner, stopping it in a
    # ``finally``, is cancelled again by the stop_tasks above it meanwhile.
    inner: list[asyncio.Task[None]] = []
    pop = losing_first_cancellation(never_answers)

    async def read() -> None:
        while True:
            await pop()

    async def own() -> None:
        inner.append(asyncio.create_task(read()))
        try:
            await asyncio.Event().wait()
        finally:
            await stop_tasks(inner)

    owner = asyncio.create_task(own())
    await asyncio.sleep(0)

    await stop_tasks([owner])

    assert owner.cancelled()
    assert inner[0].cancelled()
