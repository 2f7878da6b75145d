"""What only a Redis Cluster bus does: refusing a plain Redis, one pub/sub connection per
master, a bounded number of command connections per master, keys of several slots in one
call. The contract suite runs on it too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from quart.testing.app import LifespanError
from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from bus import BusError, BusOverloaded, BusUnavailable, make_bus
from bus.cluster import ClusterBus
from bus.redis_subscriber import SharedSubscriber
from config import ConfigError, Settings
from quart_app import create_app
from tests.support.redis_cluster import MASTERS, RedisClusterProcesses
from tests.support.redis_server import RedisServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis_cluster


@pytest.fixture
async def cluster_bus(redis_cluster: RedisClusterProcesses) -> AsyncIterator[ClusterBus]:
    await redis_cluster.flush()
    bus = make_bus(redis_cluster.url)
    assert isinstance(bus, ClusterBus)
    await bus.connect()
    yield bus
    await bus.close()


async def test_a_cluster_url_naming_a_plain_redis_stops_start_up_in_one_line(
    redis_server: RedisServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(bus_url=f"redis+cluster://127.0.0.1:{redis_server.port}")

    with pytest.raises(LifespanError) as refused:
        async with create_app(settings).test_app():
            pass

    cause = refused.value.__context__
    assert isinstance(cause, ConfigError)
    assert str(cause).startswith("BUS_URL: redis+cluster:// names a Redis that is not a cluster")
    assert "\n" not in str(cause)


async def test_channels_on_every_master_share_one_connection_per_master(
    cluster_bus: ClusterBus, redis_cluster: RedisClusterProcesses
) -> None:
    channels = [f"channel-{n}" for n in range(200)]
    owners = {(await redis_cluster.master_of(channel)).port for channel in channels}
    assert len(owners) == MASTERS  # 200 names hash onto every master

    subscription = await cluster_bus.subscribe(*channels)
    for channel in channels:
        await cluster_bus.publish(channel, channel)
    received = {(await asyncio.wait_for(subscription.get(), 5)).channel for _ in channels}  # type: ignore[union-attr]

    assert received == set(channels)
    assert cluster_bus.pubsub_connections == MASTERS
    await subscription.close()


async def test_past_its_connections_to_a_master_a_command_is_refused_not_queued(
    redis_cluster: RedisClusterProcesses,
) -> None:
    await redis_cluster.flush()
    queue, processing = "{capped}:queue", "{capped}:processing"
    master = await redis_cluster.master_of(queue)
    bus, other = ClusterBus(redis_cluster.url, max_connections=2), make_bus(redis_cluster.url)
    await bus.connect()
    await other.connect()
    waiting = [asyncio.create_task(bus.pop_into(queue, processing, 30)) for _ in range(2)]
    try:

        async def both_blocked() -> bool:
            async with Redis(port=master.port, socket_timeout=5) as admin:
                clients = await admin.client_list()
            return sum("b" in client["flags"] for client in clients) == 2

        await eventually(both_blocked)
        with pytest.raises(BusOverloaded):
            await bus.pop_into(queue, processing, 1.0)

        await other.push(queue, "first")  # this bus has no connection to spare
        await other.push(queue, "second")
        assert sorted(await asyncio.gather(*waiting)) == [b"first", b"second"]
        assert await bus.pop_into(queue, processing, 0) is None  # connections came back
    finally:
        for task in waiting:
            task.cancel()
        await bus.close()
        await other.close()


async def test_keys_of_many_slots_are_read_and_deleted_in_one_call(cluster_bus: ClusterBus) -> None:
    keys = [f"key-{n}" for n in range(50)]
    for key in keys:
        await cluster_bus.set(key, key)

    assert await cluster_bus.get_many(*keys, "missing") == [key.encode() for key in keys] + [None]
    assert sorted(await cluster_bus.scan("key-*")) == sorted(keys)
    assert await cluster_bus.delete(*keys) == len(keys)


async def test_keys_of_two_slots_in_one_atomic_command_are_a_mistake_not_an_outage(
    cluster_bus: ClusterBus,
) -> None:
    with pytest.raises(BusError, match="same key slot") as refused:
        await cluster_bus.pop_into("queue-a", "processing-b", timeout=0.1)

    assert not isinstance(refused.value, BusUnavailable)


async def test_a_channel_refused_by_a_master_that_lost_its_slot_fails_its_subscriber_at_once(
    redis_cluster: RedisClusterProcesses,
) -> None:
    # What a master's link meets when a slot moved after the slot map was read:
    # MOVED. Waiting for a confirmation that never comes would hold the lock
    # under which a cluster bus moves channels, and every new subscription with it.
    channel = "orders:{moved-test}"
    owner = await redis_cluster.master_of(channel)
    other = next(node for node in await redis_cluster.masters() if node.port != owner.port)
    link = SharedSubscriber(
        lambda: Connection(host="127.0.0.1", port=other.port, protocol=2),
        health_check_interval=5,
        sharded=True,
    )
    try:
        async with asyncio.timeout(2.5):  # the confirmation timeout is 5 s
            with pytest.raises(BusUnavailable, match=f"is served by 127.0.0.1:{owner.port}"):
                await link.subscribe((channel,), 10, patterns=False)
    finally:
        await link.close()
