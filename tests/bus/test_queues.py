"""Queues: LPUSH / BRPOPLPUSH order, blocking moves into processing lists, removal."""

from __future__ import annotations

import asyncio

import pytest

from bus.base import Bus, BusError, BusOverloaded, Pieces
from tests.support.bus_backends import Backend
from tests.support.queues import take
from tests.support.waiting import eventually

# A queue and its processing list share a hash tag: one slot in a Redis Cluster.
QUEUE = "{q}"
PROCESSING = "processing:{q}"


async def test_items_come_out_in_the_order_they_went_in(bus: Bus) -> None:
    for item in ("a", "b", "c"):
        await bus.push(QUEUE, item)

    moved = [await bus.pop_into(QUEUE, PROCESSING, timeout=1) for _ in range(3)]

    assert moved == [b"a", b"b", b"c"]
    assert await bus.items(PROCESSING) == [b"a", b"b", b"c"]


async def test_push_returns_the_new_length(bus: Bus) -> None:
    assert await bus.push("q", "a") == 1
    assert await bus.push("q", "b") == 2


async def test_a_bounded_push_refuses_a_full_queue(bus: Bus) -> None:
    assert await bus.push("q", "a", max_length=2) == 1
    assert await bus.push("q", "b", max_length=2) == 2
    with pytest.raises(BusOverloaded):
        await bus.push("q", "c", max_length=2)
    assert await bus.items("q") == [b"a", b"b"]
    await take(bus, "q", timeout=1)
    assert await bus.push("q", "c", max_length=2) == 2


def _pieces(*parts: bytes, size: int | None = None) -> Pieces:
    return Pieces(sum(map(len, parts)) if size is None else size, lambda: iter(parts))


async def test_pieces_are_pushed_as_one_item(bus: Bus) -> None:
    big = bytes(range(256)) * 4096
    assert await bus.push("q", _pieces(b"head,", big, b",tail")) == 1
    assert await bus.push("q", _pieces(b"x"), max_length=2) == 2
    with pytest.raises(BusOverloaded):
        await bus.push("q", _pieces(b"y"), max_length=2)
    assert await bus.items("q") == [b"head," + big + b",tail", b"x"]


@pytest.mark.parametrize("size", [3, 5])
async def test_pieces_that_are_not_their_size_are_refused(bus: Bus, size: int) -> None:
    with pytest.raises(ValueError, match="announced"):
        await bus.push("q", _pieces(b"ab", b"cd", size=size))
    assert await bus.push("q", "next") == 1  # the bus is still usable
    assert await bus.items("q") == [b"next"]


async def test_blocked_pops_are_served_in_arrival_order(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    if backend.name == "fakeredis":
        # fakeredis 2.40 keeps blocked clients in a set, so its order is luck;
        # Redis and the memory twin serve them in order.
        request.applymarker(pytest.mark.xfail(strict=False, reason="fakeredis wakes in any order"))
    # Each waiter blocks on its own connection, as separate workers would; the second
    # starts once the first is seen waiting, and the items come once both are.
    first = asyncio.create_task(backend.bus.pop_into(QUEUE, "p1:{q}", timeout=30))
    await _waiting(backend, 1)
    other = await backend.peer()
    second = asyncio.create_task(other.pop_into(QUEUE, "p2:{q}", timeout=30))
    await _waiting(backend, 2)

    await backend.bus.push(QUEUE, "one")
    await backend.bus.push(QUEUE, "two")

    assert await asyncio.wait_for(first, 2) == b"one"
    assert await asyncio.wait_for(second, 2) == b"two"


async def _waiting(backend: Backend, count: int) -> None:
    if backend.blocked is None:  # fakeredis shows no blocked clients; its order is luck anyway
        await asyncio.sleep(0.05)
        return
    blocked = backend.blocked

    async def all_waiting() -> bool:
        return await blocked() >= count

    await eventually(all_waiting)


async def test_a_zero_timeout_pop_into_does_not_wait(bus: Bus) -> None:
    # Redis reads a zero BRPOPLPUSH timeout as "forever": a wait of seconds tells them apart.
    assert await asyncio.wait_for(bus.pop_into(QUEUE, PROCESSING, timeout=0), 5) is None
    await bus.push(QUEUE, "x")
    assert await asyncio.wait_for(bus.pop_into(QUEUE, PROCESSING, timeout=0), 5) == b"x"
    assert await bus.items(PROCESSING) == [b"x"]


async def test_pop_into_moves_the_oldest_item_into_processing(bus: Bus) -> None:
    await bus.push(QUEUE, "a")
    await bus.push(QUEUE, "b")

    assert await bus.pop_into(QUEUE, PROCESSING, timeout=1) == b"a"

    assert await bus.items(QUEUE) == [b"b"]
    assert await bus.items(PROCESSING) == [b"a"]


async def test_a_blocked_pop_into_wakes_on_push(bus: Bus) -> None:
    moving = asyncio.create_task(bus.pop_into(QUEUE, PROCESSING, timeout=5))
    await asyncio.sleep(0.05)
    assert not moving.done()

    await bus.push(QUEUE, "job")

    assert await asyncio.wait_for(moving, 2) == b"job"
    assert await bus.items(PROCESSING) == [b"job"]
    assert await bus.items(QUEUE) == []


async def test_pop_into_on_an_empty_queue_times_out_with_none(bus: Bus) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()

    assert await asyncio.wait_for(bus.pop_into(QUEUE, PROCESSING, timeout=0.1), 2) is None

    assert loop.time() - started >= 0.09
    assert await bus.items(PROCESSING) == []


async def test_remove_takes_one_occurrence_out(bus: Bus) -> None:
    for item in ("a", "b", "a"):
        await bus.push("q", item)

    assert await bus.remove("q", "a") == 1
    assert await bus.remove("q", "missing") == 0

    assert await bus.items("q") == [b"a", b"b"]


async def test_items_of_a_missing_list(bus: Bus) -> None:
    assert await bus.items("nothing") == []


async def test_an_emptied_queue_no_longer_exists(bus: Bus) -> None:
    await bus.push(QUEUE, "a")
    await bus.pop_into(QUEUE, PROCESSING, timeout=1)

    assert await bus.scan(QUEUE) == []


async def test_a_list_operation_on_a_string_key_is_a_bus_error(bus: Bus) -> None:
    await bus.set("k", "text")

    with pytest.raises(BusError):
        await bus.push("k", "x")


async def test_queued_items_are_copies(bus: Bus) -> None:
    item = bytearray(b"before")
    await bus.push(QUEUE, item)  # type: ignore[arg-type]  # a bytes-like caller
    item[:] = b"after!"

    assert await bus.pop_into(QUEUE, PROCESSING, timeout=1) == b"before"
