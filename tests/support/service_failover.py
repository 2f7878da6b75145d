"""The whole service across a Redis fault: two instances and the worker as its own process.

What the Sentinel and the Redis Cluster failover tests share: the reference
worker (``voice-realtime worker``) started and stopped by its pid, the two
instances' settings, analyze and order requests, and a cook's socket read as
its client would (reconnecting with ``last_event_id`` when closed ``1013``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
from quart import Quart
from quart.testing.connections import WebsocketDisconnectError
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from tests.support.tokens import bearer
from tests.support.waiting import eventually
from tests.support.websockets import Connect, Serve, close_code, receive

log = logging.getLogger(__name__)
T = TypeVar("T")

RECOVERY = 10.0
"""Seconds the service promises to answer again in after a master dies."""
DELIVERY = 60.0
"""Generous: how long a test waits for every notification to arrive."""
AI_TIMEOUT = 4.0
CUSTOMER = bearer("customer-1", "customer")
ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}
ORDER = "Two French dinners in grand style please"
CLOSE_TRY_AGAIN_LATER = 1013


@asynccontextmanager
async def worker_process(bus_url: str, output: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``voice-realtime worker`` on ``bus_url``, as its own process, stopped by its pid."""
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from quart_app.cli import main; raise SystemExit(main(['worker']))",
            env=dict(os.environ, BUS_URL=bus_url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:

        def serving() -> bool:
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


@asynccontextmanager
async def two_instances(serve: Serve, bus_url: str) -> AsyncIterator[tuple[Quart, Quart]]:
    """Instances A and B on ``bus_url``, the AI Server being the external worker."""
    settings: dict[str, Any] = {
        "bus_url": bus_url,
        "ai_worker": "external",
        "ai_timeout": AI_TIMEOUT,
        "heartbeat_interval": 60,
        # One client analyzes and orders four times a second, for as long as a fault lasts.
        "rate_limit_analyze": "1000/minute",
        "rate_limit_orders": "1000/minute",
    }
    async with serve(**settings) as a, serve(**settings) as b:
        yield a, b


async def analyze(app: Quart, *, within: float = AI_TIMEOUT + 1) -> int:
    """The status of one analyze request, which must end ``within`` seconds."""
    body = {"transcript": ORDER, "session_id": None}
    request = app.test_client().post("/api/voice/analyze", json=body)
    response = await asyncio.wait_for(request, within)
    return response.status_code


async def place_order(app: Quart) -> tuple[int, dict[str, Any]]:
    """The status and body of one order placed by the customer."""
    response = await app.test_client().post("/api/orders", json={"items": [ITEM]}, headers=CUSTOMER)
    return response.status_code, await response.get_json()


async def until(step: Callable[[], Awaitable[bool]], *, started: float) -> float:
    """Seconds since ``started`` until ``step()`` is true; fails past ``RECOVERY``."""
    while not await step():
        assert time.monotonic() - started < RECOVERY, "not back within the promised time"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def all_ready(*apps: Quart) -> None:
    """Every instance answers ``/readyz`` 200: nothing died."""
    for app in apps:
        response = await app.test_client().get("/readyz")
        assert response.status_code == 200, await response.get_data()


async def placed_order(app: Quart) -> str:
    """The id of an order placed on ``app``, which must answer 201."""
    status, order = await place_order(app)
    assert status == 201, order
    order_id: str = order["order_id"]
    return order_id


async def answered_analyze(app: Quart) -> None:
    """One analyze request on ``app``, which must answer 200."""
    status = await analyze(app)
    assert status == 200, status


class Repeated(Generic[T]):
    """``step()`` again and again, a quarter second apart, until :meth:`stop`."""

    def __init__(self, step: Callable[[], Awaitable[T]], stack: AsyncExitStack) -> None:
        self.results: list[T] = []
        self._step = step
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run())
        stack.callback(self._task.cancel)  # a failing test must not leave it running

    async def _run(self) -> None:
        while not self._stop.is_set():
            self.results.append(await self._step())
            await asyncio.sleep(0.25)

    async def more(self, count: int, within: float = DELIVERY) -> None:
        """Until ``count`` more steps have succeeded (it fails if one failed)."""
        target = len(self.results) + count

        def done() -> bool:
            if self._task.done():
                self._task.result()  # its failure, if it failed
            return len(self.results) >= target

        await eventually(done, within)

    async def stop(self) -> list[T]:
        """Stop; every step's result."""
        self._stop.set()
        await asyncio.wait_for(self._task, RECOVERY)
        return self.results


class Cook:
    """A cook's socket on one instance, read as the client does: closed ``1013``, it
    reconnects with the last id it saw and replays what it missed."""

    def __init__(self, app: Quart, connect: Connect, stack: AsyncExitStack) -> None:
        self.delivered: set[str] = set()
        self.last_event_id: str | None = None
        self.closed_1013 = 0
        self._app = app
        self._connect = connect
        self._stack = stack
        self._ws: WsConnection | None = None

    async def open(self, *, started: float | None = None) -> float:
        """Connect, retrying while the bus can't take it; seconds since ``started``
        (now, unless given) once connected, failing past ``RECOVERY``."""

        async def opened() -> bool:
            try:
                self._ws = await self._stack.enter_async_context(
                    self._connect(self._app, "cook-1", "cook", last_event_id=self.last_event_id)
                )
            except (AssertionError, WebsocketDisconnectError, TimeoutError):
                return False
            return True

        return await until(opened, started=time.monotonic() if started is None else started)

    async def closed(self) -> int:
        """The code the server closes the socket with, within ``RECOVERY``."""
        assert self._ws is not None
        code = await close_code(self._ws, within=RECOVERY)
        self.closed_1013 += code == CLOSE_TRY_AGAIN_LATER
        return code

    async def receive_orders(self, expected: set[str]) -> None:
        """Read ``order.created`` frames, reconnecting after each ``1013``, until each
        of ``expected`` came; fails past ``DELIVERY``."""

        async def read() -> None:
            while not expected <= self.delivered:
                assert self._ws is not None
                try:
                    frame = await receive(self._ws, within=DELIVERY)
                except WebsocketDisconnectError as closed:
                    assert closed.args[0] == CLOSE_TRY_AGAIN_LATER, closed.args
                    self.closed_1013 += 1
                    await self.open()
                    continue
                self.last_event_id = frame.get("id") or self.last_event_id
                if frame["type"] == "order.created":
                    self.delivered.add(frame["data"]["order_id"])
                else:
                    assert frame["type"] == "heartbeat", frame

        try:
            await asyncio.wait_for(read(), DELIVERY)
        except TimeoutError:
            pytest.fail(f"notifications lost: {sorted(expected - self.delivered)}")


async def serves_across_a_master_kill(
    a: Quart,
    b: Quart,
    worker: asyncio.subprocess.Process,
    connect: Connect,
    *,
    replicated: Callable[[], Awaitable[None]],
    kill: Callable[[], Awaitable[None]],
) -> None:
    """The service outlives ``kill()`` of a master, within ``RECOVERY``.

    Analyze answers on A, an order is placed on B, a cook's socket on A is
    closed ``1013`` and reconnects with ``last_event_id``; every order placed on
    B, before, during and after the outage, reaches it (the outbox keeps each
    notification until the bus takes it); both instances are ready and the
    worker still runs.
    """
    assert await analyze(a) == 200
    async with AsyncExitStack() as stack:
        cook = Cook(a, connect, stack)
        await cook.open()
        status, before = await place_order(b)
        assert status == 201, before
        await cook.receive_orders({before["order_id"]})
        await replicated()

        started = time.monotonic()
        await kill()

        # Orders keep coming in on B all along (the database is not Redis).
        orders = Repeated(lambda: placed_order(b), stack)

        # Every AI request ends, answered or refused, within AI_TIMEOUT: none hangs.
        async def analyze_answers() -> bool:
            status = await analyze(a)
            assert status in (200, 503, 504), status
            return status == 200

        analyze_back = await until(analyze_answers, started=started)

        # A's subscription broke: its sockets are closed (1013) so that their
        # clients reconnect with the last id they saw and replay what they missed.
        assert await cook.closed() == CLOSE_TRY_AGAIN_LATER
        await cook.open(started=started)
        placed = await orders.stop()
        status, last = await place_order(b)
        assert status == 201, last

        # The replay, then live frames: every order placed on B meanwhile, the
        # ones placed while no master was reachable included, and the last one.
        expected = {*placed, last["order_id"]}
        await cook.receive_orders(expected)
        notified_back = time.monotonic() - started

    log.warning(
        "failover: analyze back after %.1f s; all %d orders placed meanwhile "
        "announced to the reconnected cook %.1f s after the kill",
        analyze_back,
        len(expected),
        notified_back,
    )
    await all_ready(a, b)
    assert worker.returncode is None
