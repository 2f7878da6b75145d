"""What the order outbox costs, and how fast it catches up after a Redis outage.

1. Cost per order write: ``OrderService.place_order`` then three status
   changes per order, timed with the outbox writing its rows and, in the same
   run, with an outbox whose ``add`` writes nothing (the change alone), with
   the rows published at commit (a relay on a private ``redis-server`` that
   claims nothing: each row takes its id from Redis inside the transaction,
   then is published and deleted in the background, as in a running instance;
   a status change whose order's previous row is not deleted yet is left to
   the relays, as in an instance), and on PostgreSQL
   with the rows but the trigger that sends ``NOTIFY`` at commit disabled,
   taking turns so that load on the machine falls on all alike.
2. Drain: a private ``redis-server`` is stopped, ``--backlog`` ``order.created``
   rows are queued (one per order, written in bulk), the server is started
   again and the relays are woken (as the bus's reconnect or their poll
   would); the time from then to the last row published and deleted, with
   ``--relays`` relays (one on SQLite). The same run drains the same backlog
   the way the relay did before it pipelined, as the baseline: claims of
   ``--baseline-batch`` rows, and every Redis command its own round trip
   (about five per event).

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
from typing import cast

from sqlalchemy import func, insert, literal, null, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from bus.base import Batch
from bus.redis import RedisBus
from domain.orders import OrderStatus, Role
from quart_app.database import Database
from quart_app.models import Base, OutboxEvent, utc_now
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.outbox import AskedId, Outbox, OutboxRelay, OutboxRow, Written
from quart_app.services.orders.service import OrderService
from quart_app.services.realtime.notifications import Notice, NotificationPublisher
from quart_app.services.realtime.order_events import created_notice
from tests.support.redis_server import RedisServer

ITEM = OrderItemRequest(menu_code="french", style_code="grand", quantity=1)
COOK = Principal("cook-1", Role.COOK)
STEPS = (OrderStatus.ACCEPTED, OrderStatus.COOKING, OrderStatus.READY)


NOTHING = cast(Insert, select(literal(0).label("id"), null().label("event_id")))
"""The baseline's outbox row: one statement object, as the outbox's own inserts are
(the service builds and caches its statement for each)."""


class NoOutbox(Outbox):
    """The baseline: the same service, its notifications written nowhere."""

    async def add(
        self,
        session: AsyncSession,
        order_id: str,
        notice: Notice,
        *,
        first_of_order: bool = False,
        asked: AskedId | None = None,
    ) -> Written:
        return Written(0, notice, None)  # nothing written

    async def row(
        self,
        order_id: str,
        notice: Notice,
        *,
        first_of_order: bool = False,
        asked: AskedId | None = None,
    ) -> OutboxRow:
        # A new order on PostgreSQL: its statement's last part writes nothing either.
        return OutboxRow(NOTHING, {}, order_id, notice, utc_now())


class AtCommitOnly(OutboxRelay):
    """A relay that publishes rows at their commit and claims none: the other
    variants' rows stay in the table, as they did before relays published at commit."""

    async def relay(self) -> int:
        return 0


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


async def write_cost(url: str, orders: int, rounds: int, folder: Path) -> dict[str, float]:
    """Median seconds per write: without the outbox, with it (its rows left to a relay,
    none running), with it published at commit (a relay on a private Redis gives each
    row its id in the transaction, then publishes and deletes it), and on PostgreSQL
    with it but its commit's ``NOTIFY`` trigger disabled."""
    database = await fresh_database(url)
    catalog = CatalogService(database)
    without = OrderService(database, catalog, outbox=NoOutbox())
    with_outbox = OrderService(database, catalog, outbox=Outbox())
    at_commit_outbox = Outbox()
    at_commit = OrderService(database, catalog, outbox=at_commit_outbox)
    server = RedisServer(folder / "write-cost-redis")
    await server.start()
    bus = RedisBus(server.url)
    await bus.connect()
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    relay = AtCommitOnly(database, at_commit_outbox, publisher)
    relay.start(bus)
    variants = [
        ("without", without, True),
        ("with", with_outbox, True),
        ("with, at commit", at_commit, True),
    ]
    if not database.is_sqlite:
        variants.append(("with, no notify", with_outbox, False))
    await write_orders(with_outbox, 20)  # warm-up: caches, pool, JIT of the statements
    await write_orders(at_commit, 20)
    timings: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    try:
        for _ in range(rounds):
            for name, service, notify in variants:
                if not database.is_sqlite:
                    await set_notify(database, on=notify)
                timings[name].append(await write_orders(service, orders))
    finally:
        await relay.stop()
        await bus.close()
        await server.stop()
        await database.close()
    return {name: statistics.median(times) for name, times in timings.items()}


async def set_notify(database: Database, *, on: bool) -> None:
    switch = "ENABLE" if on else "DISABLE"
    async with database.engine.begin() as connection:
        await connection.execute(
            text(f"ALTER TABLE outbox_events {switch} TRIGGER outbox_events_notify")
        )


class UnpipelinedBus(RedisBus):
    """The baseline's bus: each command of a batch is a round trip of its own."""

    def batch(self, *, order: str | None = None) -> Batch:
        return Batch(self, order=order)


async def drain_time(
    url: str, backlog: int, relays: int, batch: int, folder: Path, *, pipelined: bool
) -> float:
    """Queue ``backlog`` rows while Redis is down; seconds from waking the relays
    once it answers again to the whole backlog published (rows deleted)."""
    database = await fresh_database(url)
    server = RedisServer(folder)
    await server.start()
    kind = RedisBus if pipelined else UnpipelinedBus
    relay_buses = [kind(server.url, health_check_interval=1) for _ in range(relays)]
    for bus in relay_buses:
        await bus.connect()
    outbox = Outbox()
    running = [
        OutboxRelay(
            database,
            outbox,
            NotificationPublisher(bus, log_maxlen=1000, retention=3600),
            batch=batch,
        )
        for bus in relay_buses
    ]
    for relay, bus in zip(running, relay_buses, strict=True):
        await bus.subscribe("bench:keepalive")  # the reconnect listener needs a subscription
        relay.start(bus)
    try:
        await server.stop()
        await queue_backlog(database, backlog)
        await server.start()
        woken = time.perf_counter()
        outbox.wake()
        await settled(database)
        return time.perf_counter() - woken
    finally:
        for relay in running:
            await relay.stop()
        for bus in relay_buses:
            await bus.close()
        await server.stop()
        await database.close()


async def queue_backlog(database: Database, backlog: int) -> None:
    """``backlog`` pending ``order.created`` rows, one per order, as placing orders leaves them."""
    notice = created_notice({"order_id": "", "status": "pending", "items": [ITEM.model_dump()]})
    now = utc_now()
    rows = [
        {
            "order_id": f"bench{n:027d}",
            "event_type": notice.event_type,
            "target": notice.target,
            "data": {**notice.data, "order_id": f"bench{n:027d}"},
            "created_at": now,
        }
        for n in range(backlog)
    ]
    async with database.session() as session, session.begin():
        for start in range(0, backlog, 1000):
            await session.execute(insert(OutboxEvent), rows[start : start + 1000])
    assert await pending(database) == backlog


async def pending(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


async def settled(database: Database) -> None:
    """Return once every row is published and deleted."""
    async with asyncio.timeout(600):
        while True:
            if not await pending(database):
                return
            await asyncio.sleep(0.005)


def database_url(name: str, folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder}/bench.db" if name == "sqlite" else name


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", default=None, help="sqlite or a URL")
    parser.add_argument("--orders", type=int, default=100, help="orders per timed round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backlog", type=int, action="append", default=None)
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500, help="rows per claim")
    parser.add_argument("--baseline-batch", type=int, default=100, help="rows per claim, baseline")
    parser.add_argument("--skip-write-cost", action="store_true")
    parser.add_argument("--skip-drain", action="store_true")
    args = parser.parse_args(argv)
    for name in args.database or ["sqlite"]:
        with tempfile.TemporaryDirectory(prefix="bench-outbox-") as folder:
            url = database_url(name, Path(folder))
            scheme = url.split("://")[0]
            if not args.skip_write_cost:
                cost = await write_cost(url, args.orders, args.rounds, Path(folder))
                without, with_outbox = cost["without"], cost["with"]
                print(
                    f"{scheme}: per write {without * 1000:.2f} ms without the outbox, "
                    f"{with_outbox * 1000:.2f} ms with it: {with_outbox / without:.2f}x "
                    f"(+{(with_outbox - without) * 1000:.2f} ms)"
                )
                at_commit = cost["with, at commit"]
                print(
                    f"{scheme}: per write with the outbox published at commit "
                    f"{at_commit * 1000:.2f} ms: {at_commit / without:.2f}x without the outbox "
                    f"(+{(at_commit - without) * 1000:.2f} ms)"
                )
                if "with, no notify" in cost:
                    quiet = cost["with, no notify"]
                    print(
                        f"{scheme}: per write with the outbox {with_outbox * 1000:.2f} ms "
                        f"with its NOTIFY, {quiet * 1000:.2f} ms without: "
                        f"{with_outbox / quiet:.2f}x"
                    )
            relays = args.relays if name != "sqlite" else 1
            for backlog in [] if args.skip_drain else args.backlog or [1000]:
                rates = []
                for batch, pipelined in ((args.baseline_batch, False), (args.batch, True)):
                    seconds = await drain_time(
                        url, backlog, relays, batch, Path(folder), pipelined=pipelined
                    )
                    rates.append(backlog / seconds)
                    print(
                        f"{scheme}: {backlog} events queued while Redis was down, "
                        f"{relays} relay(s), batch {batch}, "
                        f"{'pipelined' if pipelined else 'a round trip per command'}: "
                        f"published in {seconds:.3f} s ({rates[-1]:.0f}/s)"
                    )
                print(f"{scheme}: {backlog} events, pipelined / before: {rates[1] / rates[0]:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
