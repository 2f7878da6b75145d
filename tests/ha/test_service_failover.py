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
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.testing.connections import WebsocketDisconnectError
from quart.typing import TestWebsocketConnectionProtocol as WsConnection
from redis.asyncio import Redis

from bus.keys import AI_WORKERS_PATTERN, ai_queue
from tests.support.sentinel_cluster import SentinelCluster
from tests.support.tokens import bearer
from tests.support.waiting import eventually
from tests.support.websockets import Connect, Serve, close_code, receive, receive_type

pytestmark = [pytest.mark.slow, pytest.mark.redis]

log = logging.getLogger(__name__)

RECOVERY = 10.0  # seconds to answer again, with down-after-milliseconds 1000
DELIVERY = 60.0
"""Generous: how long the test waits for every notification to arrive."""
AI_TIMEOUT = 4.0
PATIENT_AI_TIMEOUT = 60.0
"""Outlives a failover on a busy machine (a few seconds; 7 s when a sentinel retries)."""
CUSTOMER = bearer("customer-1", "customer")
ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}
ORDER = "Two French dinners in grand style please"


@pytest.fixture
async def worker(
    cluster: SentinelCluster, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``voice-realtime worker`` on the cluster, as its own process, stopped by its pid."""
    output = tmp_path / "worker.log"
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from quart_app.cli import main; raise SystemExit(main(['worker']))",
            env=dict(os.environ, BUS_URL=cluster.url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:

        async def serving() -> bool:
            return "serving" in output.read_text()

        await eventually(serving, within=60)
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


@pytest.fixture
async def instances(
    cluster: SentinelCluster, serve: Serve, worker: asyncio.subprocess.Process
) -> AsyncIterator[tuple[Quart, Quart]]:
    settings: dict[str, Any] = {
        "bus_url": cluster.url,
        "ai_worker": "external",
        "ai_timeout": AI_TIMEOUT,
        "heartbeat_interval": 60,
        "rate_limit_orders": "1000/minute",  # one customer orders four times a second
    }
    async with serve(**settings) as a, serve(**settings) as b:
        yield a, b


async def _analyze(app: Quart) -> int:
    response = await app.test_client().post(
        "/api/voice/analyze", json={"transcript": ORDER, "session_id": None}
    )
    return response.status_code


async def _place_order(app: Quart) -> tuple[int, dict[str, Any]]:
    response = await app.test_client().post("/api/orders", json={"items": [ITEM]}, headers=CUSTOMER)
    return response.status_code, await response.get_json()


async def _until(step: Callable[[], Awaitable[bool]], *, started: float) -> float:
    """Seconds since ``started`` until ``step()`` is true; fails past ``RECOVERY``."""
    while not await step():
        assert time.monotonic() - started < RECOVERY, "not back within the promised time"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def _receive_orders(ws: WsConnection, expected: set[str]) -> set[str]:
    """Reads ``order.created`` frames until each of ``expected`` came; fails past ``DELIVERY``."""
    delivered: set[str] = set()

    async def read() -> None:
        while not expected <= delivered:
            frame = await receive(ws, within=DELIVERY)
            if frame["type"] == "order.created":
                delivered.add(frame["data"]["order_id"])
            else:
                assert frame["type"] == "heartbeat", frame

    try:
        await asyncio.wait_for(read(), DELIVERY)
    except TimeoutError:
        pytest.fail(f"notifications lost: {sorted(expected - delivered)}")
    return delivered


async def test_analyze_orders_and_notifications_come_back_after_the_master_dies(
    cluster: SentinelCluster,
    instances: tuple[Quart, Quart],
    worker: asyncio.subprocess.Process,
    connect: Connect,
) -> None:
    a, b = instances
    assert await _analyze(a) == 200
    async with AsyncExitStack() as sockets:
        cook = await sockets.enter_async_context(connect(a, "cook-1", "cook"))
        status, before = await _place_order(b)
        assert status == 201, before
        seen = await receive_type(cook, "order.created")
        assert seen["data"]["order_id"] == before["order_id"]
        await cluster.wait_replicated()

        started = time.monotonic()
        await cluster.kill_master()

        # Orders keep coming in on B all along (the database is not Redis).
        placed: list[str] = []
        ordering = asyncio.Event()

        async def keep_ordering() -> None:
            while not ordering.is_set():
                status, order = await _place_order(b)
                assert status == 201, order
                placed.append(order["order_id"])
                await asyncio.sleep(0.25)

        orders = asyncio.create_task(keep_ordering())
        sockets.callback(orders.cancel)  # a failing test must not leave it ordering

        # Every AI request ends, answered or refused, within AI_TIMEOUT: none hangs.
        async def analyze_answers() -> bool:
            status = await asyncio.wait_for(_analyze(a), AI_TIMEOUT + 1)
            assert status in (200, 503, 504), status
            return status == 200

        analyze_back = await _until(analyze_answers, started=started)

        # A's subscription broke: its sockets are closed (1013) so that their
        # clients reconnect with the last id they saw and replay what they missed.
        assert await close_code(cook, within=RECOVERY) == 1013

        async def reconnected() -> bool:
            nonlocal cook
            try:
                cook = await sockets.enter_async_context(
                    connect(a, "cook-1", "cook", last_event_id=seen["id"])
                )
            except (AssertionError, WebsocketDisconnectError, TimeoutError):
                return False
            return True

        await _until(reconnected, started=started)
        ordering.set()
        await asyncio.wait_for(orders, RECOVERY)
        status, last = await _place_order(b)
        assert status == 201, last

        # The replay, then live frames: every order placed on B meanwhile, the
        # ones placed while no master was reachable included, and the last one.
        expected = {*placed, last["order_id"]}
        await _receive_orders(cook, expected)
        notified_back = time.monotonic() - started

    log.warning(
        "failover: analyze back after %.1f s; all %d orders placed meanwhile "
        "announced to the reconnected cook %.1f s after the kill",
        analyze_back,
        len(expected),
        notified_back,
    )

    # Nothing died: both instances are ready again, the worker still runs.
    for app in (a, b):
        response = await app.test_client().get("/readyz")
        assert response.status_code == 200, await response.get_data()
    assert worker.returncode is None


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
        assert await _analyze(app) == 200  # subscribed, the catalog cached

        with _paused(worker):
            analyzing = asyncio.create_task(_analyze(app))
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
