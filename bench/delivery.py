"""How soon an order placed on one instance reaches a staff socket on another.

Two app instances in this process on one PostgreSQL database and one private
``redis-server``; a cook's socket on instance B; orders placed on instance A
(``POST /api/orders``) at ``--rate`` per second for ``--seconds``, at most
``--in-flight`` at once. Latency is
from the order's 201 to its ``order.created`` frame on B: the outbox row, its
relay (woken at commit), the Redis pipeline, B's fan-out and socket. The
baseline, in the same run at the same rate: A's publisher sends a notification
of the same shape directly (no database, no outbox), from the call to the
frame on B (the frame may reach B before the call returns, so the call's start
is the fair mark). Then a burst: ``--burst`` orders from ``--clients`` clients at once,
every ``order.created`` counted on B by order id.

    python -m bench.delivery --database postgresql+asyncpg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from quart import Quart
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from bench.common import SECRET, bench_settings
from quart_app import create_app
from quart_app.extensions import WEBSOCKET_MANAGER
from quart_app.services.auth.tokens import mint_token
from quart_app.services.realtime.manager import WebSocketManager
from quart_app.services.realtime.order_events import created_notice
from tests.support.databases import empty_database
from tests.support.redis_server import RedisServer

ITEM = {"menu_code": "french", "style_code": "grand", "quantity": 1}
CUSTOMER = "bench-customer"


class Frames:
    """``order.created`` frames seen on B: when each order id first arrived, and how often."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.copies: Counter[str] = Counter()
        self._waiters: dict[str, asyncio.Future[float]] = {}

    def seen(self, order_id: str) -> None:
        now = time.perf_counter()
        self.copies[order_id] += 1
        self.arrived.setdefault(order_id, now)
        waiter = self._waiters.pop(order_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)

    async def arrival(self, order_id: str, within: float = 30) -> float:
        if order_id in self.arrived:
            return self.arrived[order_id]
        waiter = self._waiters.setdefault(order_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(waiter, within)


async def read(ws: WsConnection, frames: Frames) -> None:
    while True:
        frame = json.loads(await ws.receive())
        if frame["type"] == "order.created":
            frames.seen(frame["data"]["order_id"])
        elif frame["type"] == "heartbeat":
            await ws.send(json.dumps({"type": "pong"}))


@asynccontextmanager
async def instances(database_url: str, redis_url: str) -> AsyncIterator[tuple[Quart, Quart]]:
    async with AsyncExitStack() as stack:
        apps = []
        for name in ("a", "b"):
            settings = bench_settings(
                f"bench-delivery-{name}-",
                bus_url=redis_url,
                database_url=database_url,
                app_env="development",
                # One customer places every order here: its budget would refuse them.
                rate_limits_enabled=False,
            )
            app = create_app(settings)
            await stack.enter_async_context(app.test_app())
            apps.append(app)
        yield apps[0], apps[1]


@asynccontextmanager
async def cook_socket(app: Quart, frames: Frames) -> AsyncIterator[None]:
    async with app.test_client().websocket("/api/ws") as ws:
        token = mint_token(SECRET, "bench-cook", "cook")
        await ws.send(
            json.dumps(
                {"type": "auth", "user_id": "bench-cook", "user_type": "cook", "token": token}
            )
        )
        assert json.loads(await ws.receive())["type"] == "connected"
        reader = asyncio.create_task(read(ws, frames))
        try:
            yield
        finally:
            reader.cancel()


def order_placer(app: Quart) -> Callable[[], Awaitable[tuple[str, float]]]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {mint_token(SECRET, CUSTOMER, 'customer', ttl=86400)}"}

    async def place() -> tuple[str, float]:
        response = await client.post("/api/orders", json={"items": [ITEM]}, headers=headers)
        done = time.perf_counter()
        assert response.status_code == 201, await response.get_data(as_text=True)
        order: dict[str, Any] = await response.get_json()
        return order["order_id"], done

    return place


def direct_publisher(app: Quart) -> Callable[[], Awaitable[tuple[str, float]]]:
    manager: WebSocketManager = app.extensions[WEBSOCKET_MANAGER]
    publisher = manager.publisher
    sequence = iter(range(10**9))

    async def publish() -> tuple[str, float]:
        order_id = f"direct{next(sequence):026d}"
        notice = created_notice({"order_id": order_id, "status": "pending", "items": [ITEM]})
        called = time.perf_counter()
        await publisher.publish(notice)
        return order_id, called

    return publish


async def at_rate(
    send: Callable[[], Awaitable[tuple[str, float]]],
    frames: Frames,
    rate: float,
    seconds: float,
    in_flight: int,
) -> tuple[list[float], float]:
    """Send ``rate`` a second for ``seconds``, at most ``in_flight`` at once (a client
    pool: a rate the instance can't keep up with shows as a lower achieved rate, not
    as an ever longer queue); each one's milliseconds from its mark to its frame,
    and the rate achieved."""
    slots = asyncio.Semaphore(in_flight)

    async def one() -> float:
        async with slots:
            order_id, mark = await send()
        return (await frames.arrival(order_id) - mark) * 1000

    start = time.perf_counter()
    tasks = []
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        await slots.acquire()  # the pool is full: wait, as a client would
        slots.release()
        tasks.append(asyncio.create_task(one()))
    latencies = list(await asyncio.gather(*tasks))
    return latencies, len(latencies) / (time.perf_counter() - start)


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


async def burst(
    place: Callable[[], Awaitable[tuple[str, float]]], frames: Frames, orders: int, clients: int
) -> tuple[int, int, int]:
    """Orders placed at once by ``clients``; (placed, delivered, delivered more than once)."""

    async def client(count: int) -> list[str]:
        return [(await place())[0] for _ in range(count)]

    placed = [
        order_id
        for ids in await asyncio.gather(*(client(orders // clients) for _ in range(clients)))
        for order_id in ids
    ]
    for order_id in placed:
        await frames.arrival(order_id, within=120)
    await asyncio.sleep(1)  # a late second copy would show up here
    return (
        len(placed),
        sum(1 for o in placed if o in frames.arrived),
        sum(1 for o in placed if frames.copies[o] > 1),
    )


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (emptied)")
    parser.add_argument("--rate", type=float, action="append", default=None)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=10, help="requests at once, at most")
    args = parser.parse_args(argv)
    await empty_database(args.database)
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as folder:
        server = RedisServer(Path(folder))
        await server.start()
        try:
            async with instances(args.database, server.url) as (a, b):
                frames = Frames()
                async with cook_socket(b, frames):
                    place, direct = order_placer(a), direct_publisher(a)
                    await at_rate(place, frames, 20, 1, args.in_flight)  # warm-up
                    for rate in args.rate or [50, 200]:
                        outbox, achieved = await at_rate(
                            place, frames, rate, args.seconds, args.in_flight
                        )
                        baseline, _ = await at_rate(
                            direct, frames, achieved, args.seconds, args.in_flight
                        )
                        o50, o95, o99 = percentiles(outbox)
                        d50, d95, d99 = percentiles(baseline)
                        print(
                            f"{rate:.0f}/s asked, {achieved:.0f}/s achieved, "
                            f"{args.seconds:.0f} s: 201 -> order.created on the other "
                            f"instance p50 {o50:.1f} ms, p95 {o95:.1f} ms, p99 {o99:.1f} ms; "
                            f"direct publish p50 {d50:.1f} ms, p95 {d95:.1f} ms, "
                            f"p99 {d99:.1f} ms; p50 {o50 / d50:.2f}x"
                        )
                    placed, delivered, doubled = await burst(
                        place, frames, args.burst, args.clients
                    )
                    print(
                        f"burst: {placed} orders from {args.clients} clients at once, "
                        f"{delivered} delivered, {doubled} delivered twice"
                    )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
