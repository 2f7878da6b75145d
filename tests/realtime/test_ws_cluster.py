"""Two app instances on one real Redis: notifications, replay and stats cross instances."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from quart import Quart
from redis.asyncio import Redis

from bus import keys
from tests.support.tokens import bearer
from tests.support.waiting import eventually
from tests.support.websockets import (
    Connect,
    Serve,
    manager_of,
    receive_type,
    seen_then_missed_by_cook_k,
)

pytestmark = pytest.mark.redis


@pytest.fixture
async def cluster(serve: Serve, redis_url: str) -> AsyncIterator[tuple[Quart, Quart]]:
    """Instances A and B, each with its own connection to the same (flushed) Redis db."""
    async with Redis.from_url(redis_url) as client:
        await client.flushdb()
    settings = {"bus_url": redis_url, "heartbeat_interval": 60, "stats_ttl": 3}
    async with serve(**settings) as a, serve(**settings) as b:
        yield a, b


async def test_a_notice_raised_on_b_reaches_sockets_on_a(
    cluster: tuple[Quart, Quart], connect: Connect
) -> None:
    a, b = cluster
    async with connect(a, "k", "cook") as cook_on_a, connect(b, "m", "manager") as boss_on_b:
        event_id = await manager_of(b).publisher.broadcast_to_staff(
            "order.created", {"order_id": 3}
        )
        for ws in (cook_on_a, boss_on_b):
            frame = await receive_type(ws, "order.created")
            assert (frame["id"], frame["data"]) == (event_id, {"order_id": 3})


async def test_every_socket_of_a_user_gets_it_whichever_instance_holds_it(
    cluster: tuple[Quart, Quart], connect: Connect
) -> None:
    a, b = cluster
    async with (
        connect(a, "c", "customer") as tab_on_a,
        connect(b, "c", "customer") as phone_on_b,
        connect(a, "c", "customer") as second_tab_on_a,
    ):
        event_id = await manager_of(b).publisher.send_to_user("c", "order.status_changed", {"n": 1})
        for ws in (tab_on_a, phone_on_b, second_tab_on_a):
            assert (await receive_type(ws, "order.status_changed"))["id"] == event_id


async def test_replay_on_a_of_what_b_raised(cluster: tuple[Quart, Quart], connect: Connect) -> None:
    a, b = cluster
    seen, missed = await seen_then_missed_by_cook_k(b)
    async with connect(a, "k", "cook", last_event_id=seen) as ws:
        assert [
            (await receive_type(ws, kind))["id"]
            for kind in ("order.created", "order.assigned", "kitchen.note")
        ] == missed


async def test_ids_are_unique_and_ordered_across_logs(cluster: tuple[Quart, Quart]) -> None:
    a, b = cluster
    ids = []
    for n in range(20):  # many within one millisecond, alternating logs and instances
        manager = manager_of(a if n % 2 else b)
        ids.append(await manager.publisher.send_to_user("k", "x", {}))
        ids.append(await manager.publisher.broadcast_to_staff("y", {}))
    as_tuples = [tuple(map(int, event_id.split("-"))) for event_id in ids]
    assert as_tuples == sorted(set(as_tuples))


async def test_stats_sum_every_live_instance(
    cluster: tuple[Quart, Quart], connect: Connect, redis_url: str
) -> None:
    a, b = cluster
    async with (
        connect(a, "k", "cook"),
        connect(a, "m", "manager"),
        connect(b, "m", "manager"),
        connect(b, "c", "customer"),
    ):

        async def counted() -> bool:
            response = await a.test_client().get("/api/ws/stats", headers=bearer("m", "manager"))
            body = await response.get_json()
            return bool(body["total"] == 4)

        await eventually(counted)
        response = await b.test_client().get("/api/ws/stats", headers=bearer("m", "manager"))
        assert await response.get_json() == {
            "total": 4,
            "by_role": {"customer": 1, "cook": 1, "delivery": 0, "manager": 2},
            "users": 3,
            "instances": 2,
        }


async def test_a_dead_instance_drops_out_when_its_report_expires(
    cluster: tuple[Quart, Quart], redis_url: str
) -> None:
    a, _ = cluster
    dead = {"total": 5, "by_role": {"cook": 5}, "users": 5, "user_ids": list("vwxyz")}
    report = keys.ws_instance_stats("dead")

    async def stats() -> dict[str, int]:
        response = await a.test_client().get("/api/ws/stats", headers=bearer("m", "manager"))
        body: dict[str, int] = await response.get_json()
        return body

    async with Redis.from_url(redis_url) as client:
        # Counted while it lasts (no expiry yet, so no clock to race), then given a short one.
        await client.set(report, json.dumps(dead))
        assert (await stats())["total"] == 5
        assert await client.pexpire(report, 300)

    async def gone() -> bool:
        return (await stats())["instances"] == 2 and (await stats())["total"] == 0

    await eventually(gone)
