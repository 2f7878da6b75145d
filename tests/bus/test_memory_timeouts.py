"""The memory twin's blocking pops run out the way Redis's server-side timeouts do."""

from __future__ import annotations

import asyncio
import time

from bus.memory import MemoryBus


async def test_an_item_served_as_the_wait_runs_out_is_returned_not_lost() -> None:
    # The push and the pop's deadline land in one turn of the event loop: the push
    # first, then the timer. Redis never drops an item its BRPOP took; neither may this.
    bus = MemoryBus()
    popping = asyncio.create_task(bus.pop_into("q", "q:processing", timeout=0.05))
    await asyncio.sleep(0)  # the pop is now waiting
    pushing = asyncio.create_task(bus.push("q", b"order"))
    time.sleep(0.1)  # noqa: ASYNC251 -- blocks the loop past the pop's deadline on purpose

    taken = await popping
    await pushing

    assert taken == b"order"
    assert await bus.items("q:processing") == [b"order"]
    assert await bus.items("q") == []


async def test_a_wait_that_runs_out_first_leaves_the_next_item_in_the_queue() -> None:
    bus = MemoryBus()

    assert await bus.pop_into("q", "q:processing", timeout=0.01) is None
    await bus.push("q", b"order")

    assert await bus.items("q") == [b"order"]
    assert await bus.items("q:processing") == []
