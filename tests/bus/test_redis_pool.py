"""What only the real Redis can show: how many connections the bus holds (the
pool, and one pub/sub connection for every subscription), and that a server
which stops answering (without closing sockets) is noticed."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bus.ai import AIRequester
from bus.base import BusUnavailable, Message
from bus.keys import ai_queue
from bus.redis import RedisBus
from tests.support.ai_server import answering
from tests.support.redis_server import RedisServer
from tests.support.waiting import eventually
from tests.support.waiting import eventually as until_true


async def _connections(url: str, name: str) -> int:
    async with Redis.from_url(url, decode_responses=True) as admin:
        return sum(1 for client in await admin.client_list() if client.get("name") == name)


async def test_a_thousand_commands_in_flight_share_a_few_connections(redis_url: str) -> None:
    async with Redis.from_url(redis_url) as admin:
        await admin.flushdb()
    bus = RedisBus(redis_url, max_connections=4, client_name="test-pool")
    subscription = await bus.subscribe("c")
    most = 0
    # Stopped by a flag: a cancellation landing as redis-py reads can be
    # swallowed on Python 3.11 (see bus/ai.py).
    pushed = asyncio.Event()

    async def watch() -> None:
        nonlocal most
        while not pushed.is_set():
            most = max(most, await _connections(redis_url, "test-pool"))
            await asyncio.sleep(0.01)

    watching = asyncio.create_task(watch())
    await asyncio.wait_for(asyncio.gather(*(bus.push("q", str(n)) for n in range(1000))), 30)
    pushed.set()
    await asyncio.wait_for(watching, 5)

    assert len(await bus.items("q")) == 1000
    assert 1 < most <= 4 + 1  # the pool, and the one pub/sub connection
    await subscription.close()
    await bus.close()


async def test_one_pubsub_connection_carries_every_subscription(redis_url: str) -> None:
    async with Redis.from_url(redis_url) as admin:
        await admin.flushdb()
    bus = RedisBus(redis_url, client_name="test-one-pubsub")
    channels = [await bus.subscribe(f"chan:{n}") for n in range(20)]
    patterns = [await bus.psubscribe(f"pat:{n}:*") for n in range(5)]

    async with Redis.from_url(redis_url, decode_responses=True) as admin:
        pubsub = [
            client
            for client in await admin.client_list(_type="pubsub")
            if client.get("name") == "test-one-pubsub"
        ]
    assert len(pubsub) == 1
    assert (pubsub[0]["sub"], pubsub[0]["psub"]) == ("20", "5")

    for n in range(20):
        assert await bus.publish(f"chan:{n}", str(n)) == 1
    for n in range(5):
        assert await bus.publish(f"pat:{n}:x", str(n)) == 1
    for n, subscription in enumerate(channels):
        assert await asyncio.wait_for(subscription.get(), 2) == Message(
            f"chan:{n}", str(n).encode()
        )
    for n, subscription in enumerate(patterns):
        assert await asyncio.wait_for(subscription.get(), 2) == Message(
            f"pat:{n}:x", str(n).encode(), pattern=f"pat:{n}:*"
        )
    await bus.close()


@pytest.mark.slow
async def test_a_server_that_hangs_is_noticed_by_the_health_check(server: RedisServer) -> None:
    bus = RedisBus(server.url, health_check_interval=0.5)
    requester = AIRequester(bus)
    await requester.start()
    changes: list[bool] = []
    bus.add_connection_listener(changes.append)
    waiting = asyncio.create_task(requester.request("llm", {"n": 1}, timeout=60))

    # Pushed, not only registered: the request waits out the hang, a push
    # still in flight when the server stops would not.
    async def pushed() -> bool:
        return len(await bus.items(ai_queue("llm"))) == 1

    await until_true(pushed)

    with server.frozen():
        await eventually(lambda: changes == [False], within=15)
        assert not waiting.done()
    await eventually(lambda: changes == [False, True], within=10)
    worker_bus = RedisBus(server.url)
    async with answering(worker_bus):
        assert await asyncio.wait_for(waiting, 10) == {"n": 1}
    await worker_bus.close()
    await requester.close()
    await bus.close()


async def test_a_command_to_a_frozen_server_fails_instead_of_hanging(server: RedisServer) -> None:
    bus = RedisBus(server.url, socket_timeout=0.5)
    await bus.set("k", "before")
    with server.frozen():
        # The outer limit only ends the test if the command hangs; the bus must fail first.
        with pytest.raises(BusUnavailable):
            await asyncio.wait_for(bus.get("k"), 30)
        with pytest.raises(BusUnavailable):
            await asyncio.wait_for(bus.push("q", b"x"), 30)

    async def answers() -> bool:
        try:
            return await bus.get("k") == b"before"
        except BusUnavailable:
            return False

    await eventually(answers, within=10)
    await bus.close()


async def test_a_blocking_pop_longer_than_the_socket_timeout_waits_it_out(
    server: RedisServer,
) -> None:
    bus = RedisBus(server.url, socket_timeout=0.5)
    assert await bus.pop_into("empty", "processing", 2.0) is None
    await bus.push("q", b"x")
    assert await bus.pop_into("q", "processing", 2.0) == b"x"
    await bus.close()
