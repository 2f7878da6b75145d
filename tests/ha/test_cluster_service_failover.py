"""The whole service on a Redis Cluster across a master's SIGKILL and a live reshard.

Two app instances (``BUS_URL=redis+cluster://...``) and the reference worker as
its own process, on a cluster of 3 masters and 3 replicas started here. A
killed master's replica takes over and the service follows the new slot map
within ``RECOVERY`` seconds, as on Sentinel (:func:`serves_across_a_master_kill`).
Slots resharded with ``redis-cli --cluster reshard`` while requests and orders
flow fail no request: MOVED, ASK and TRYAGAIN are retried inside, and a socket
whose partition moved is closed 1013 and replays what it missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from quart import Quart

from bus import keys
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.service_failover import (
    RECOVERY,
    Cook,
    Repeated,
    all_ready,
    answered_analyze,
    placed_order,
    serves_across_a_master_kill,
)
from tests.support.websockets import Connect, manager_of

pytestmark = [pytest.mark.slow, pytest.mark.redis_cluster]

log = logging.getLogger(__name__)

AI_QUEUE = keys.ai_queue("llm")


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[RedisClusterProcesses]:
    async with RedisClusterProcesses(tmp_path / "cluster") as made:
        yield made


@pytest.fixture
def service_bus_url(cluster: RedisClusterProcesses) -> str:
    return cluster.url


# The AI queue's master, and the master of the notification ids, which every
# relay batch takes. Each master also carries a third of the notification
# partitions, with their staff replay logs.
@pytest.mark.parametrize("key", [AI_QUEUE, keys.WS_EVENT_IDS])
async def test_the_service_follows_a_killed_master_to_its_replica(
    cluster: RedisClusterProcesses,
    instances: tuple[Quart, Quart],
    worker: asyncio.subprocess.Process,
    connect: Connect,
    key: str,
) -> None:
    a, b = instances
    doomed = await cluster.master_of(key)
    partitions = manager_of(a).publisher.channels
    assert any([(await cluster.master_of(p)).port == doomed.port for p in partitions])

    await serves_across_a_master_kill(
        a, b, worker, connect, replicated=cluster.wait_replicated, kill=doomed.kill
    )
    await cluster.wait_replaced(key, doomed, RECOVERY)


async def test_a_slot_migrated_while_serving_fails_no_request_and_loses_no_notification(
    instances: tuple[Quart, Quart],
    connect: Connect,
    cluster: RedisClusterProcesses,
    worker: asyncio.subprocess.Process,
) -> None:
    a, b = instances
    publisher = manager_of(a).publisher
    async with AsyncExitStack() as stack:
        cook = Cook(a, connect, stack)
        await cook.open()
        first = await placed_order(b)
        await cook.receive_orders({first})
        # Analyze on A and orders on B flow all along; each must succeed.
        analyses = Repeated(lambda: answered_analyze(a), stack)
        orders = Repeated(lambda: placed_order(b), stack)
        await orders.more(2)

        # Live keys: the AI queue, the partition of the first order (its channel and
        # staff log), the notification ids, and the cook's socket slot.
        partition = keys.ws_notify_partition(first, len(publisher.channels))
        moved = 0
        for key in (
            AI_QUEUE,
            publisher.channels[partition],
            keys.WS_EVENT_IDS,
            keys.ws_user_connections("cook-1"),
        ):
            source = await cluster.master_of(key)
            target = next(n for n in await cluster.masters() if n.port != source.port)
            moved += await cluster.reshard(key, target)
            assert (await cluster.master_of(key)).port == target.port
            await analyses.more(1)
            await orders.more(2)

        answered = await analyses.stop()
        placed = await orders.stop()
        await cook.receive_orders({first, *placed})

    log.warning(
        "reshard: %d slots moved in 4 runs while %d analyses and %d orders succeeded; "
        "the cook's socket was closed 1013 %d times and got every order",
        moved,
        len(answered),
        len(placed),
        cook.closed_1013,
    )

    await all_ready(a, b)
    assert worker.returncode is None
