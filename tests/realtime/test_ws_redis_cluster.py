"""Two app instances on a real Redis Cluster (3 masters): notifications go out on
partitions that every master carries, and each instance listens on one connection
per master; a reconnecting socket replays from every master."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY
from quart import Quart

from bus import keys
from bus.cluster import ClusterBus
from domain.orders import STAFF_ROLES
from quart_app.extensions import BUS
from quart_app.services.realtime.notifications import Notice
from tests.support.redis_cluster import MASTERS, RedisClusterProcesses
from tests.support.websockets import Connect, Serve, manager_of, receive, receive_type

pytestmark = pytest.mark.redis_cluster


@pytest.fixture
async def instances(
    serve: Serve, redis_cluster: RedisClusterProcesses
) -> AsyncIterator[tuple[Quart, Quart]]:
    """Instances A and B on the (flushed) session cluster."""
    await redis_cluster.flush()
    settings = {"bus_url": redis_cluster.url, "heartbeat_interval": 60}
    async with serve(**settings) as a, serve(**settings) as b:
        yield a, b


async def _owners(redis_cluster: RedisClusterProcesses, channels: tuple[str, ...]) -> list[int]:
    return [(await redis_cluster.master_of(channel)).port for channel in channels]


async def test_every_master_carries_a_share_of_the_partitions(
    instances: tuple[Quart, Quart], redis_cluster: RedisClusterProcesses
) -> None:
    channels = manager_of(instances[0]).publisher.channels
    owners = await _owners(redis_cluster, channels)

    assert len(channels) == keys.WS_NOTIFY_PARTITIONS == 24
    assert sorted(owners.count(port) for port in set(owners)) == [8] * MASTERS


async def test_a_notice_from_b_reaches_a_whichever_master_carries_its_partition(
    instances: tuple[Quart, Quart], redis_cluster: RedisClusterProcesses, connect: Connect
) -> None:
    a, b = instances
    publisher = manager_of(b).publisher
    owners = await _owners(redis_cluster, publisher.channels)
    owner = dict(zip(publisher.channels, owners, strict=True))
    user_on: dict[int, str] = {}  # a user whose partition each master carries
    for n in range(200):
        user = f"u{n}"
        user_on.setdefault(owner[publisher.channel_of(Notice.to_users((user,), "x", {}))], user)
    assert len(user_on) == MASTERS

    async with AsyncExitStack() as stack:
        sockets = {
            user: await stack.enter_async_context(connect(a, user, "customer"))
            for user in user_on.values()
        }
        for user, ws in sockets.items():
            event_id = await publisher.send_to_user(user, "order.status_changed", {"to": user})
            frame = await receive_type(ws, "order.status_changed")
            assert (frame["id"], frame["data"]) == (event_id, {"to": user})

        # A publisher that does not partition still reaches them, on ws:notify.
        frame = json.dumps({"type": "menu.sold_out", "id": None, "ts": 1.0, "data": {}})
        envelope = {"target": {"roles": ["customer"]}, "id": None, "frame": frame}
        await b.extensions[BUS].publish(keys.WS_NOTIFY_CHANNEL, json.dumps(envelope))
        for ws in sockets.values():
            assert (await receive_type(ws, "menu.sold_out"))["data"] == {}


async def test_each_instance_listens_on_one_connection_per_master_at_most(
    instances: tuple[Quart, Quart],
) -> None:
    for instance in instances:
        bus = instance.extensions[BUS]
        assert isinstance(bus, ClusterBus)
        assert bus.pubsub_connections == MASTERS  # 25 channels, one connection per master
    assert REGISTRY.get_sample_value("bus_pubsub_connections") == MASTERS


async def test_a_cook_reconnecting_replays_the_staff_notifications_of_every_master(
    instances: tuple[Quart, Quart], redis_cluster: RedisClusterProcesses, connect: Connect
) -> None:
    a, b = instances
    publisher = manager_of(b).publisher
    seen = await publisher.send_to_user("k", "order.assigned", {})
    notices = [
        replace(Notice.to_roles(STAFF_ROLES, "order.created", {"n": n}), key=f"order-{n}")
        for n in range(12)
    ]
    missed = [await publisher.publish(notice) for notice in notices]
    logs = {publisher.log.broadcast_logs[publisher.partition_of(n)] for n in notices}
    assert len(set(await _owners(redis_cluster, tuple(logs)))) == MASTERS

    async with connect(a, "k", "cook", last_event_id=seen) as ws:
        assert [(await receive(ws))["id"] for _ in missed] == missed
