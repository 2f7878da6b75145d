"""The cluster bus across a shard master's SIGKILL and a live slot migration.

Each test starts its own cluster (3 masters, 3 replicas) of real ``redis-server``
processes and stops them by pid. What it proves: the sharded subscriptions move
to the replica that took over (or to the master that took the slot), commands
follow the new slot map, and the waiters hear the bus go down and come back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bus import make_bus
from bus.base import Bus, BusError, Subscription
from bus.cluster import ClusterBus
from bus.keys import ai_queue
from tests.support.ai_server import answering, requesting
from tests.support.redis_cluster import MASTERS, RedisClusterProcesses
from tests.support.waiting import eventually

pytestmark = [pytest.mark.redis_cluster, pytest.mark.slow]

# A SIGKILLed master is replaced after cluster-node-timeout (1 s) plus an election.
RECOVERY = 10.0
CHANNEL = "orders:{shard-test}"


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[RedisClusterProcesses]:
    async with RedisClusterProcesses(tmp_path / "cluster") as made:
        yield made


@pytest.fixture
async def bus(cluster: RedisClusterProcesses) -> AsyncIterator[ClusterBus]:
    made = make_bus(cluster.url)
    assert isinstance(made, ClusterBus)
    await made.connect()
    yield made
    await made.close()


async def _publish_until_heard(bus: ClusterBus, subscription: Subscription, text: str) -> None:
    """Publish ``text`` until the subscription hears it: publishes fail, or reach no
    one, while the shard changes hands."""

    async def heard() -> bool:
        try:
            await bus.publish(CHANNEL, text)
        except BusError:
            return False
        message = await subscription.get(timeout=0.2)
        return message is not None and message.data == text.encode()

    await eventually(heard, RECOVERY)


async def test_a_killed_shard_master_is_replaced_and_subscriptions_follow(
    cluster: RedisClusterProcesses, bus: ClusterBus
) -> None:
    heard: list[bool] = []
    bus.add_connection_listener(heard.append)
    subscription = await bus.subscribe(CHANNEL)
    await bus.set("order:{shard-test}", "kept")
    await cluster.wait_replicated()
    doomed = await cluster.master_of(CHANNEL)

    await doomed.kill()

    await _publish_until_heard(bus, subscription, "after the failover")
    await cluster.wait_replaced(CHANNEL, doomed, RECOVERY)
    assert heard[0] is False and heard[-1] is True
    assert await bus.get("order:{shard-test}") == b"kept"
    assert bus.pubsub_connections <= MASTERS


async def test_ai_requests_are_answered_again_after_a_master_dies(
    cluster: RedisClusterProcesses, bus: ClusterBus, worker_bus: Bus
) -> None:
    async with requesting(bus) as requester, answering(worker_bus):
        assert await requester.request("llm", {"n": 1}, timeout=RECOVERY) == {"n": 1}
        await (await cluster.master_of("ai:queue:llm")).kill()

        async def answered() -> bool:
            try:
                return await requester.request("llm", {"n": 2}, timeout=2) == {"n": 2}
            except BusError:
                return False

        await eventually(answered, 3 * RECOVERY)


async def test_an_ai_request_in_flight_when_its_result_shard_master_dies_is_answered(
    cluster: RedisClusterProcesses, bus: ClusterBus, worker_bus: Bus
) -> None:
    async with requesting(bus) as requester:
        waiting = asyncio.create_task(requester.request("llm", {"n": 3}, timeout=60))

        async def queued() -> bool:
            return len(await bus.items(ai_queue("llm"))) == 1

        await eventually(queued)
        (raw,) = await bus.items(ai_queue("llm"))
        # The master its own subscription (on its hash-tagged reply_to) listens on.
        await (await cluster.master_of(json.loads(raw)["reply_to"])).kill()

        async with answering(worker_bus):
            assert await asyncio.wait_for(waiting, 70) == {"n": 3}


async def test_a_migrated_slot_takes_its_subscriptions_along(
    cluster: RedisClusterProcesses, bus: ClusterBus
) -> None:
    subscription = await bus.subscribe(CHANNEL)
    await bus.set("order:{shard-test}", "moved with its slot")
    source = await cluster.master_of(CHANNEL)
    target = next(node for node in await cluster.masters() if node.port != source.port)

    await cluster.reshard(CHANNEL, target)

    await _publish_until_heard(bus, subscription, "after the migration")
    assert (await cluster.master_of(CHANNEL)).port == target.port
    assert await bus.get("order:{shard-test}") == b"moved with its slot"
    await asyncio.wait_for(subscription.close(), 5)


async def test_a_subscription_made_on_a_slot_map_from_before_a_reshard_is_taken(
    cluster: RedisClusterProcesses, bus: ClusterBus
) -> None:
    stale = make_bus(cluster.url)
    await stale.connect()  # reads the slot map once, now
    source = await cluster.master_of(CHANNEL)
    target = next(node for node in await cluster.masters() if node.port != source.port)
    await cluster.reshard(CHANNEL, target)

    # The master the stale map names refuses (MOVED): the map is read again.
    subscription = await asyncio.wait_for(stale.subscribe(CHANNEL), RECOVERY)

    await _publish_until_heard(bus, subscription, "heard where the slot went")
    await subscription.close()
    await stale.close()
