"""Locks: mutual exclusion, waiting, expiry, release by the holder only."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from bus.base import LockNotAcquired
from tests.support.bus_backends import Backend

SHORT = 0.05


async def test_only_one_holder_at_a_time(backend: Backend) -> None:
    other = await backend.peer()
    inside = 0
    most_inside = 0

    async def critical(bus_index: int) -> None:
        nonlocal inside, most_inside
        bus = (backend.bus, other)[bus_index % 2]
        async with bus.lock("l", ttl=5, wait=5):
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.wait_for(asyncio.gather(*(critical(index) for index in range(6))), 10)

    assert most_inside == 1


async def test_a_waiter_gets_the_lock_once_it_is_released(backend: Backend) -> None:
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(backend.bus.lock("l", ttl=5, wait=0))
        waiting = asyncio.create_task(_take(backend, "l", wait=5))
        await asyncio.sleep(0.05)
        assert not waiting.done()

    await asyncio.wait_for(waiting, 2)


async def _take(backend: Backend, name: str, *, wait: float) -> None:
    async with backend.bus.lock(name, ttl=5, wait=wait):
        pass


async def test_giving_up_after_the_wait_raises(backend: Backend) -> None:
    async with backend.bus.lock("l", ttl=5, wait=0):
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(LockNotAcquired):
            await asyncio.wait_for(_take(backend, "l", wait=0.1), 2)
        assert loop.time() - started >= 0.09


async def test_a_lock_is_free_again_after_its_ttl(backend: Backend) -> None:
    async with AsyncExitStack() as crashed_holder:
        await crashed_holder.enter_async_context(backend.bus.lock("l", ttl=SHORT, wait=0))
        await backend.advance(SHORT * 2)

        await asyncio.wait_for(_take(backend, "l", wait=0), 2)


async def test_a_holder_past_its_ttl_does_not_free_the_next_holder(backend: Backend) -> None:
    async with AsyncExitStack() as late_holder:
        await late_holder.enter_async_context(backend.bus.lock("l", ttl=SHORT, wait=0))
        await backend.advance(SHORT * 2)
        async with AsyncExitStack() as next_holder:
            await next_holder.enter_async_context(backend.bus.lock("l", ttl=5, wait=0))
            await late_holder.aclose()

            with pytest.raises(LockNotAcquired):
                await _take(backend, "l", wait=0)


async def test_the_lock_is_released_when_the_block_raises(backend: Backend) -> None:
    with pytest.raises(RuntimeError):
        async with backend.bus.lock("l", ttl=5, wait=0):
            raise RuntimeError("boom")

    await asyncio.wait_for(_take(backend, "l", wait=0), 2)
