"""The whole service on Redis Sentinel while its master is SIGKILLed.

Two app instances (``BUS_URL=redis+sentinel://...``) and the reference worker
as its own process (``voice-realtime worker``). After the kill, within
``RECOVERY`` seconds: analyze answers on instance A, an order is placed on
instance B, and a cook's socket on A is closed 1013 and reconnects with
``last_event_id``; no instance or worker died. Every order placed on B, before,
during and after the outage, reaches the cook's socket: the outbox keeps each
notification until the bus takes it. An analyze in flight when the master dies
gets its answer once the new master is named, not a 503.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from quart import Quart
from redis.asyncio import Redis

from bus.keys import AI_WORKERS_PATTERN, ai_queue
from tests.support.sentinel_cluster import SentinelCluster
from tests.support.service_failover import analyze, serves_across_a_master_kill
from tests.support.waiting import eventually
from tests.support.websockets import Connect, Serve

pytestmark = [pytest.mark.slow, pytest.mark.redis]

log = logging.getLogger(__name__)

PATIENT_AI_TIMEOUT = 60.0
"""Outlives a failover on a busy machine (a few seconds; 7 s when a sentinel retries)."""


async def test_analyze_orders_and_notifications_come_back_after_the_master_dies(
    cluster: SentinelCluster,
    instances: tuple[Quart, Quart],
    worker: asyncio.subprocess.Process,
    connect: Connect,
) -> None:
    a, b = instances
    await serves_across_a_master_kill(
        a, b, worker, connect, replicated=cluster.wait_replicated, kill=cluster.kill_master
    )


@contextmanager
def _paused(process: asyncio.subprocess.Process) -> Iterator[None]:
    """SIGSTOP for the block, SIGCONT after: an AI Server that is busy meanwhile."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


async def _llm_request_on_the_master(cluster: SentinelCluster) -> bool:
    """Whether an llm request is on the master: queued, or taken by the (paused) worker."""
    async with Redis(port=await cluster.master_port(), socket_timeout=2) as client:
        lists = [ai_queue("llm"), *[name async for name in client.scan_iter(AI_WORKERS_PATTERN)]]
        lengths = [await client.llen(name) for name in lists]
    return sum(lengths) > 0


async def test_an_analyze_in_flight_when_the_master_dies_gets_its_answer(
    cluster: SentinelCluster, worker: asyncio.subprocess.Process, serve: Serve
) -> None:
    settings: dict[str, Any] = {
        "bus_url": cluster.url,
        "ai_worker": "external",
        "ai_timeout": PATIENT_AI_TIMEOUT,
        "session_lock_timeout": PATIENT_AI_TIMEOUT + 10,
        "heartbeat_interval": 60,
    }
    async with serve(**settings) as app:
        assert (
            await analyze(app, within=PATIENT_AI_TIMEOUT + 10) == 200
        )  # subscribed, the catalog cached

        with _paused(worker):
            analyzing = asyncio.create_task(analyze(app, within=PATIENT_AI_TIMEOUT + 10))
            await eventually(lambda: _llm_request_on_the_master(cluster), within=30)
            await cluster.wait_replicated()
            old_port = await cluster.master_port()
            started = time.monotonic()
            await cluster.kill_master()
            promoted = await cluster.wait_for_new_master(old_port)

        status = await asyncio.wait_for(analyzing, PATIENT_AI_TIMEOUT + 10)
        answered = time.monotonic() - started

    assert status == 200
    log.warning(
        "failover: the analyze in flight answered %.1f s after the kill "
        "(the sentinels named the new master after %.1f s)",
        answered,
        promoted,
    )
