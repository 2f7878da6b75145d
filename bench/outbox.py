"""What the order outbox costs, and how fast it catches up after a Redis outage.

1. Cost per order write: ``OrderService.place_order`` then three status
   changes per order, timed with the outbox writing its rows and, in the same
   run, with an outbox whose ``add`` writes nothing (the change alone), taking
   turns so that load on the machine falls on both alike.
2. Drain: a private ``redis-server`` is stopped, ``--backlog`` orders are
   placed (each with its ``order.created`` row), the server is started again;
   the time from it answering ``PING`` to the last row published and deleted,
   with ``--relays`` relays (one on SQLite).

    python -m bench.outbox --database sqlite --database postgresql+asyncpg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bus.redis import RedisBus
from domain.orders import OrderStatus, Role
from quart_app.database import Database
from quart_app.models import Base, OutboxEvent
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.outbox import Outbox, OutboxRelay
from quart_app.services.orders.service import OrderService
from quart_app.services.realtime.notifications import Notice, NotificationPublisher
from tests.support.redis_server import RedisServer

ITEM = OrderItemRequest(menu_code="french", style_code="grand", quantity=1)
COOK = Principal("cook-1", Role.COOK)
STEPS = (OrderStatus.ACCEPTED, OrderStatus.COOKING, OrderStatus.READY)


class NoOutbox(Outbox):
    """The baseline: the same service, its notifications written nowhere."""

    def add(self, session: AsyncSession, order_id: str, notice: Notice) -> None:
        return None


async def fresh_database(url: str) -> Database:
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await database.prepare(demo_users=True)
    return database


async def write_orders(service: OrderService, orders: int) -> float:
    """Seconds per write (a placement or a status change), over ``orders`` orders."""
    started = time.perf_counter()
    for n in range(orders):
        order = await service.place_order(f"bench-{n}", [ITEM])
        for step in STEPS:
            await service.change_status(order.order_id, step, COOK)
    return (time.perf_counter() - started) / (orders * (1 + len(STEPS)))


async def write_cost(url: str, orders: int, rounds: int) -> tuple[float, float]:
    """Median seconds per write without and with the outbox."""
    database = await fresh_database(url)
    catalog = CatalogService(database)
    services = {
        "without": OrderService(database, catalog, outbox=NoOutbox()),
        "with": OrderService(database, catalog, outbox=Outbox()),
    }
    await write_orders(services["with"], 20)  # warm-up: caches, pool, JIT of the statements
    timings: dict[str, list[float]] = {name: [] for name in services}
    try:
        for _ in range(rounds):
            for name, service in services.items():
                timings[name].append(await write_orders(service, orders))
    finally:
        await database.close()
    return statistics.median(timings["without"]), statistics.median(timings["with"])


async def drain_time(url: str, backlog: int, relays: int, folder: Path) -> float:
    """Seconds from Redis answering again to the whole backlog published (rows deleted)."""
    database = await fresh_database(url)
    server = RedisServer(folder)
    await server.start()
    relay_buses = [RedisBus(server.url, health_check_interval=1) for _ in range(relays)]
    for bus in relay_buses:
        await bus.connect()
    outbox = Outbox()
    running = [
        OutboxRelay(database, outbox, NotificationPublisher(bus, log_maxlen=1000, retention=3600))
        for bus in relay_buses
    ]
    for relay, bus in zip(running, relay_buses, strict=True):
        await bus.subscribe("bench:keepalive")  # the reconnect listener needs a subscription
        relay.start(bus)
    service = OrderService(database, CatalogService(database), outbox=outbox)
    try:
        await server.stop()
        for n in range(backlog):
            await service.place_order(f"bench-{n}", [ITEM])
        assert await pending(database) == backlog
        await server.start()
        back = time.perf_counter()
        await settled(database)
        return time.perf_counter() - back
    finally:
        for relay in running:
            await relay.stop()
        for bus in relay_buses:
            await bus.close()
        await server.stop()
        await database.close()


async def pending(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


async def settled(database: Database) -> None:
    """Return once every row is published and deleted."""
    async with asyncio.timeout(300):
        while True:
            if not await pending(database):
                return
            await asyncio.sleep(0.01)


def database_url(name: str, folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder}/bench.db" if name == "sqlite" else name


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", default=None, help="sqlite or a URL")
    parser.add_argument("--orders", type=int, default=100, help="orders per timed round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--relays", type=int, default=2)
    args = parser.parse_args(argv)
    for name in args.database or ["sqlite"]:
        with tempfile.TemporaryDirectory(prefix="bench-outbox-") as folder:
            url = database_url(name, Path(folder))
            without, with_outbox = await write_cost(url, args.orders, args.rounds)
            print(
                f"{url.split('://')[0]}: per write {without * 1000:.2f} ms without the outbox, "
                f"{with_outbox * 1000:.2f} ms with it: {with_outbox / without:.2f}x "
                f"(+{(with_outbox - without) * 1000:.2f} ms)"
            )
            relays = args.relays if name != "sqlite" else 1
            seconds = await drain_time(url, args.backlog, relays, Path(folder))
            print(
                f"{url.split('://')[0]}: {args.backlog} orders accepted while Redis was down "
                f"published {seconds:.2f} s after it answered again ({relays} relay(s), "
                f"{args.backlog / seconds:.0f}/s)"
            )


if __name__ == "__main__":
    asyncio.run(main())
