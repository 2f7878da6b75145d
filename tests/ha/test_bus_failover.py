"""The bus on Redis Sentinel when the master is SIGKILLed: it follows the new master."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bus import Bus, BusError, BusTimeout, BusUnavailable, make_bus
from bus.ai import AIRequester
from bus.keys import ai_queue
from bus.redis import RedisBus
from tests.support.ai_server import answering, requesting
from tests.support.sentinel_cluster import SentinelCluster
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.redis]

RECOVERY = 10.0  # seconds to answer again, with down-after-milliseconds 1000
CONTRACT_SUITE = [
    f"tests/bus/test_{area}.py"
    for area in ("ai", "ai_reconnect", "keys", "locks", "logs", "pubsub", "queues")
]


@pytest.fixture
async def bus(cluster: SentinelCluster) -> AsyncIterator[RedisBus]:
    made = make_bus(cluster.url, health_check_interval=1)
    assert isinstance(made, RedisBus)
    await made.connect()
    yield made
    await made.close()


async def _until_it_works(step: Callable[[], Awaitable[object]], within: float = RECOVERY) -> float:
    """Seconds until ``step()`` stops raising bus errors; fails after ``within``."""
    started = time.monotonic()
    while True:
        try:
            await step()
        except BusError:
            assert time.monotonic() - started < within, "the bus did not recover in time"
            await asyncio.sleep(0.1)
            continue
        return time.monotonic() - started


async def test_commands_and_subscriptions_follow_the_new_master(
    cluster: SentinelCluster, bus: RedisBus
) -> None:
    await bus.set("ha:before", "kept")
    await cluster.wait_replicated()
    subscription = await bus.subscribe("ha:news")
    old_port = await cluster.master_port()

    await cluster.kill_master()
    await _until_it_works(lambda: bus.set("ha:after", "written"))

    assert await cluster.master_port() != old_port
    assert await bus.get("ha:before") == b"kept"  # replicated before the kill

    async def delivered() -> None:
        if await bus.publish("ha:news", "again") == 0:
            raise BusUnavailable("the subscriber is not back yet")

    await _until_it_works(delivered)
    message = await subscription.get(timeout=2)
    assert message is not None and message.data == b"again"
    await subscription.close()


async def _in_flight(
    requester: AIRequester, bus: RedisBus, count: int, *, lifetime: float
) -> list[asyncio.Task[dict[str, Any]]]:
    """``count`` llm requests, once all are on their queue (pushed, not only registered)."""
    waiting = [
        asyncio.create_task(requester.request("llm", {"n": n}, timeout=lifetime))
        for n in range(count)
    ]

    async def queued() -> bool:
        return len(await bus.items(ai_queue("llm"))) == count

    await eventually(queued)
    return waiting


async def test_ai_requests_in_flight_end_within_their_timeout_and_new_ones_are_answered(
    cluster: SentinelCluster, bus: RedisBus, worker_bus: Bus
) -> None:
    timeout = 6.0
    async with requesting(bus) as requester:
        in_flight = await _in_flight(requester, bus, 5, lifetime=timeout)
        started = time.monotonic()
        await cluster.kill_master()

        # Pushed, they wait for the new master; nobody answers them: 504, not 503.
        outcomes = await asyncio.wait_for(
            asyncio.gather(*in_flight, return_exceptions=True), timeout + 1
        )
        assert all(isinstance(o, BusTimeout) for o in outcomes), outcomes
        assert time.monotonic() - started <= timeout + 1

        async with answering(worker_bus):
            answered = await _until_it_works(
                lambda: requester.request("llm", {"n": "after"}, timeout=2)
            )
    assert answered < RECOVERY


async def test_ai_requests_in_flight_when_the_master_dies_are_answered_after_the_failover(
    cluster: SentinelCluster, bus: RedisBus, worker_bus: Bus
) -> None:
    async with requesting(bus) as requester:
        in_flight = await _in_flight(requester, bus, 5, lifetime=60)
        await cluster.kill_master()

        # Queued on the old master, replicated or not: each is answered, once the
        # new master is named, from its queue there or sent again.
        async with answering(worker_bus):
            results = await asyncio.wait_for(asyncio.gather(*in_flight), 70)
    assert results == [{"n": n} for n in range(5)]


async def test_the_bus_contract_suite_passes_over_sentinel(cluster: SentinelCluster) -> None:
    # The "redis" backend of tests/bus, pointed at the sentinels instead of one server
    # (not the cluster one: its marker's name holds "redis" too). The bound is on a hang.
    suite = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        *CONTRACT_SUITE, "-k", "redis and not fakeredis and not cluster", "-m", "not slow",
        env=dict(os.environ, TEST_REDIS_URL=cluster.url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(suite.communicate(), 600)
    report = output.decode()
    assert suite.returncode == 0, report
    assert " passed" in report and " failed" not in report, report
