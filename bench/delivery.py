"""How soon an order placed on one instance reaches a staff socket on another.

Starts, on 127.0.0.1: a private ``redis-server`` (no persistence, free port) and
two service instances, each its own process (``python -m quart_app``, hypercorn,
free ports), on that Redis and one PostgreSQL database (emptied first). This
process holds the clients: a cook's WebSocket on instance B, and HTTP clients
placing orders on instance A (``POST /api/orders``; rate limits off: one
customer places them all) at ``--rate`` per second for ``--seconds``, at most
``--in-flight`` at once. Latency is from the order's 201 to its
``order.created`` frame on B (and, beside it, from the request's start). The
frame may come before the 201 does: A publishes right after its commit, while
the 201 is still on its way; such an order counts with a negative latency.

The baseline, in the same run at the rate achieved, with no order being placed:
a direct publish with no database and no outbox, by this process through the
same Redis (``NotificationPublisher.publish``: one round trip for the id, one
for the log append and the publish), from the call to the frame on B's socket.
It is what instance A would do to notify without an outbox, from a process
that is not B, so both paths share Redis, B's fan-out and the socket; it runs
in this process, where the clients' work competes with it, not in A's.

Then a burst: ``--burst`` orders from ``--clients`` clients at once, every
``order.created`` counted on B by order id. Each phase reports the CPU milliseconds
per order each process used (``/proc/<pid>/stat``: A, B, Redis and this one)
and the whole machine's busy time (``/proc/stat``, every core; other users'
work too, PostgreSQL's among it).

    python -m bench.delivery --database postgresql+asyncpg://postgres@127.0.0.1:5432/bench \
        --rate 10 --rate 50 --rate 200 --seconds 5 --burst 2000 --clients 20

``--relay-only`` runs the instances with ``OUTBOX_PUBLISH_AT_COMMIT=false``
(every event waits for a relay's claim, the path before publishing at commit),
``--workers-a N`` gives A N hypercorn workers, ``--profile-a FILE`` runs A
under cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.common import SECRET
from bench.soak import Process
from bus.redis import RedisBus
from quart_app.services.auth.tokens import mint_token
from quart_app.services.realtime.notifications import NotificationPublisher
from quart_app.services.realtime.order_events import created_notice
from tests.support.databases import empty_database
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer

HOST = "127.0.0.1"
ITEM = {"menu_code": "french", "style_code": "grand", "quantity": 1}
CUSTOMER = "bench-customer"
TICKS = os.sysconf("SC_CLK_TCK")


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


@contextmanager
def instances(
    database_url: str,
    redis_url: str,
    folder: Path,
    *,
    workers_a: int = 1,
    profile_a: str | None = None,
    relay_only: bool = False,
) -> Iterator[list[Process]]:
    """Instances A and B, each a ``python -m quart_app`` process (A with ``workers_a``
    hypercorn workers, or under cProfile, written to ``profile_a``); stopped on exit."""
    env = dict(
        os.environ,
        APP_ENV="development",
        BUS_URL=redis_url,
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        AI_WORKER="external",
        LOG_LEVEL="WARNING",
        MEDIA_DIR=str(folder / "media"),
        RATE_LIMITS_ENABLED="false",  # one customer places every order here
        OUTBOX_PUBLISH_AT_COMMIT="false" if relay_only else "true",
    )
    started: list[Process] = []
    try:
        for name in ("a", "b"):  # one after the other: the first migrates the database
            port = free_port()
            command = [sys.executable, "-m", "quart_app", "--host", HOST, "--port", str(port)]
            if name == "a" and workers_a > 1:
                command += ["--workers", str(workers_a)]
            if name == "a" and profile_a:
                command[1:1] = ["-m", "cProfile", "-o", profile_a]
            process = Process(f"instance-{name}", command, env, folder / f"{name}.log", port=port)
            started.append(process)
            process.start()
        yield started
    finally:
        for process in started:
            process.stop()


@asynccontextmanager
async def cook_socket(port: int, frames: Frames) -> AsyncIterator[None]:
    async with websockets.connect(f"ws://{HOST}:{port}/api/ws", max_size=None) as ws:
        token = mint_token(SECRET, "bench-cook", "cook")
        await ws.send(
            json.dumps(
                {"type": "auth", "user_id": "bench-cook", "user_type": "cook", "token": token}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connected"

        async def read() -> None:
            async for text in ws:
                frame = json.loads(text)
                if frame["type"] == "order.created":
                    frames.seen(frame["data"]["order_id"])
                elif frame["type"] == "heartbeat":
                    await ws.send(json.dumps({"type": "pong"}))

        reader = asyncio.create_task(read())
        try:
            yield
        finally:
            reader.cancel()


Send = Callable[[], Awaitable[tuple[str, float, float]]]
"""Sends one; its id, when it started and the mark its latency is measured from."""


def order_placer(client: httpx.AsyncClient, port: int) -> Send:
    headers = {"Authorization": f"Bearer {mint_token(SECRET, CUSTOMER, 'customer', ttl=86400)}"}
    url = f"http://{HOST}:{port}/api/orders"

    async def place() -> tuple[str, float, float]:
        started = time.perf_counter()
        response = await client.post(url, json={"items": [ITEM]}, headers=headers)
        done = time.perf_counter()
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order["order_id"], started, done

    return place


def direct_publisher(publisher: NotificationPublisher) -> Send:
    sequence = iter(range(10**9))

    async def publish() -> tuple[str, float, float]:
        order_id = f"direct{next(sequence):026d}"
        notice = created_notice({"order_id": order_id, "status": "pending", "items": [ITEM]})
        called = time.perf_counter()
        await publisher.publish(notice)
        return order_id, called, called  # the frame may come before the call returns

    return publish


async def at_rate(
    send: Send, frames: Frames, rate: float, seconds: float, in_flight: int
) -> tuple[list[tuple[float, float]], float]:
    """Send ``rate`` a second for ``seconds``, at most ``in_flight`` at once (a client
    pool: a rate the instance can't keep up with shows as a lower achieved rate, not
    as an ever longer queue); for each, milliseconds from its mark and from its start
    to its frame, and the rate achieved."""
    slots = asyncio.Semaphore(in_flight)

    async def one() -> tuple[float, float]:
        async with slots:
            order_id, started, mark = await send()
        arrived = await frames.arrival(order_id)
        return (arrived - mark) * 1000, (arrived - started) * 1000

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


def _stat(pid: int | str) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command's name (state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class CpuMeter:
    """CPU seconds (user + system) each process and its children (workers; not those
    measured apart) used between two readings."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._last = self._read()

    def _read(self) -> dict[str, float]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    text = Path(f"/proc/{entry.name}/stat").read_text()
                except OSError:
                    continue
                parent = int(text.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
        seconds = {}
        for name, pid in self._pids.items():
            total = 0.0
            others = set(self._pids.values())  # this process's children are measured apart
            for member in [pid, *(child for child in children.get(pid, []) if child not in others)]:
                try:
                    fields = _stat(member)
                except OSError:
                    continue
                total += (int(fields[11]) + int(fields[12])) / TICKS
            seconds[name] = total
        # Every core's busy time: what the machine had left shows against its cores.
        busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        idle = int(busy[3]) + int(busy[4])
        seconds["machine"] = (sum(int(value) for value in busy[:8]) - idle) / TICKS
        return seconds

    def per(self, count: int) -> str:
        """Milliseconds of CPU per item since the last reading, for ``count`` items."""
        now = self._read()
        spent = {name: now[name] - self._last.get(name, 0.0) for name in now}
        self._last = now
        return ", ".join(
            f"{name} {1000 * used / max(count, 1):.1f}" for name, used in spent.items()
        )


async def burst(place: Send, frames: Frames, orders: int, clients: int) -> tuple[int, int, int]:
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


async def run(args: argparse.Namespace, folder: Path) -> None:
    server = RedisServer(folder / "redis")
    await server.start()
    bus = RedisBus(server.url)
    try:
        await bus.connect()
        publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
        with instances(
            args.database,
            server.url,
            folder,
            workers_a=args.workers_a,
            profile_a=args.profile_a,
            relay_only=args.relay_only,
        ) as (a, b):
            assert a.port and b.port and a.popen and b.popen
            cpu = CpuMeter(
                {"A": a.popen.pid, "B": b.popen.pid, "redis": server.pid, "bench": os.getpid()}
            )
            frames = Frames()
            limits = httpx.Limits(max_connections=max(args.in_flight, args.clients))
            async with (
                httpx.AsyncClient(limits=limits, timeout=60) as client,
                cook_socket(b.port, frames),
            ):
                place, direct = order_placer(client, a.port), direct_publisher(publisher)
                await at_rate(place, frames, 20, 1, args.in_flight)  # warm-up
                await at_rate(direct, frames, 20, 1, args.in_flight)
                for rate in args.rate or [50, 200]:
                    cpu.per(1)
                    outbox, achieved = await at_rate(
                        place, frames, rate, args.seconds, args.in_flight
                    )
                    used = cpu.per(len(outbox))
                    baseline, _ = await at_rate(
                        direct, frames, achieved, args.seconds, args.in_flight
                    )
                    o50, o95, o99 = percentiles([mark for mark, _ in outbox])
                    s50, s95, s99 = percentiles([start for _, start in outbox])
                    d50, d95, d99 = percentiles([mark for mark, _ in baseline])
                    early = sum(1 for mark, _ in outbox if mark < 0)
                    print(
                        f"{rate:.0f}/s asked, {achieved:.0f}/s achieved, {args.seconds:.0f} s: "
                        f"201 -> order.created on the other instance p50 {o50:.1f} ms, "
                        f"p95 {o95:.1f} ms, p99 {o99:.1f} ms ({early} frames before their 201); "
                        f"request -> frame p50 {s50:.1f}, p95 {s95:.1f}, p99 {s99:.1f} ms; "
                        f"direct publish p50 {d50:.1f} ms, p95 {d95:.1f} ms, p99 {d99:.1f} ms; "
                        f"p50 {o50 / d50:.2f}x; CPU ms per order: {used}; "
                        f"load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                cpu.per(1)
                placed, delivered, doubled = await burst(place, frames, args.burst, args.clients)
                print(
                    f"burst: {placed} orders from {args.clients} clients at once, "
                    f"{delivered} delivered, {doubled} delivered twice; "
                    f"CPU ms per order: {cpu.per(placed)}",
                    flush=True,
                )
    finally:
        await bus.close()
        await server.stop()


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (emptied)")
    parser.add_argument("--rate", type=float, action="append", default=None)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=10, help="requests at once, at most")
    parser.add_argument("--workers-a", type=int, default=1, help="instance A's worker processes")
    parser.add_argument(
        "--relay-only",
        action="store_true",
        help="OUTBOX_PUBLISH_AT_COMMIT=false: every event waits for a relay's claim, as before",
    )
    parser.add_argument("--profile-a", help="run instance A under cProfile, its stats to this file")
    args = parser.parse_args(argv)
    await empty_database(args.database)
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as folder:
        await run(args, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
