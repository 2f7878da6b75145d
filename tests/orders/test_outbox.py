"""The outbox on both databases: written with the change, published once each, in order."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select, text

from bus import Bus, BusUnavailable, Subscription, keys
from bus.base import Batch, Data
from bus.keys import WS_NOTIFY_CHANNEL
from bus.memory import MemoryBus
from config import Settings
from domain.errors import IllegalOrderTransition
from domain.orders import OrderStatus, Role
from quart_app import create_app
from quart_app.database import Database
from quart_app.extensions import ORDER_SERVICE
from quart_app.models import OutboxEvent, utc_now
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.outbox import (
    COMMIT_LEASE,
    NOTIFY_CHANNEL,
    Claimed,
    Outbox,
    OutboxRelay,
    Written,
)
from quart_app.services.orders.service import OrderService
from quart_app.services.realtime.notifications import NotificationPublisher
from quart_app.services.realtime.order_events import created_notice
from tests.support.bus_backends import ListenedMemoryBus, ShardedMemoryBus, open_backend
from tests.support.databases import empty_database
from tests.support.waiting import eventually

ITEM = OrderItemRequest(menu_code="french", style_code="grand", quantity=1)
COOK = Principal("cook-1", Role.COOK)
WAIT = 20.0


class FlakyBus(MemoryBus):
    """A memory bus whose log and publish calls fail while ``down`` is set, and which
    counts round trips as Redis would have them: one per call, one per batch."""

    down = False
    round_trips = 0
    _batching = False

    def batch(self, *, order: str | None = None) -> Batch:
        return _CountedBatch(self, order=order)

    async def publish(self, channel: str, data: Data) -> int:
        self._check()
        return await super().publish(channel, data)

    async def log_append(
        self, log: str, data: Data, *, maxlen: int, retention: float, order: int | None = None
    ) -> str:
        self._check()
        return await super().log_append(log, data, maxlen=maxlen, retention=retention, order=order)

    async def set(
        self, key: str, data: Data, *, ttl: float | None = None, only_if_missing: bool = False
    ) -> bool:
        self._trip()
        return await super().set(key, data, ttl=ttl, only_if_missing=only_if_missing)

    async def expire(self, key: str, ttl: float) -> bool:
        self._trip()
        return await super().expire(key, ttl)

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        self._check()
        self._batching = True  # one script with its first_into
        try:
            return await super().log_ids(log, count, first_into=first_into)
        finally:
            self._batching = False

    def _check(self) -> None:
        self._trip()
        if self.down:
            raise BusUnavailable("the test took the bus down")

    def _trip(self) -> None:
        if not self._batching:
            self.round_trips += 1


class _CountedBatch(Batch):
    async def execute(self) -> list[Any]:
        bus = cast(FlakyBus, self._bus)
        bus.round_trips += 1
        bus._batching = True
        try:
            return await super().execute()
        finally:
            bus._batching = False


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def flaky_bus() -> AsyncIterator[FlakyBus]:
    bus = FlakyBus()
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def orders(database: Database, outbox: Outbox) -> OrderService:
    return OrderService(database, CatalogService(database), outbox=outbox)


@pytest.fixture
async def redis_bus(redis_url: str) -> AsyncIterator[Bus]:
    """The real Redis of the suite (``TEST_REDIS_URL``), emptied."""
    async with open_backend("redis", redis_url) as backend:
        yield backend.bus


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def either_bus(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Bus]:
    """The memory bus, then the real Redis."""
    async with open_backend(request.param, redis_url) as backend:
        yield backend.bus


def relay_for(
    database: Database,
    outbox: Outbox,
    bus: Bus,
    clock: Clock | None = None,
    *,
    batch: int = 500,
) -> OutboxRelay:
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    return OutboxRelay(
        database,
        outbox,
        publisher,
        poll_interval=0.05,
        batch=batch,
        **({"clock": clock} if clock else {}),
    )


async def pending(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


async def until_empty(database: Database) -> None:
    async def empty() -> bool:
        return await pending(database) == 0

    await eventually(empty, within=WAIT)


async def test_each_change_writes_its_notifications_in_its_transaction(
    database: Database, orders: OrderService
) -> None:
    order = await orders.place_order("c-1", [ITEM])
    await orders.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
    with pytest.raises(IllegalOrderTransition):  # refused: rolled back, nothing written
        await orders.change_status(order.order_id, OrderStatus.DELIVERED, COOK)
    async with database.session() as session:
        rows = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all()
    assert [(row.order_id, row.event_type, row.target) for row in rows] == [
        (order.order_id, "order.created", {"roles": ["cook", "delivery", "manager"]}),
        (order.order_id, "order.status_changed", {"user_ids": ["c-1"]}),
    ]
    assert rows[1].data["status"] == "accepted"
    assert rows[1].data["previous_status"] == "pending"
    assert rows[1].data["version"] == 2
    assert all(row.event_id is None and row.claimed_by is None for row in rows)


async def test_what_was_accepted_while_the_bus_was_down_is_published_in_order_once_back(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    relay = relay_for(database, outbox, flaky_bus)
    relay.start(flaky_bus)
    try:
        flaky_bus.down = True
        order = await orders.place_order("c-1", [ITEM])
        await orders.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
        await orders.change_status(order.order_id, OrderStatus.COOKING, COOK)
        await asyncio.sleep(0.2)  # a few failed rounds of the relay
        assert await pending(database) == 3

        flaky_bus.down = False
        await until_empty(database)
    finally:
        await relay.stop()
    frames = [await _frame(subscription) for _ in range(3)]
    assert [(f["type"], f["data"]["status"]) for f in frames] == [
        ("order.created", "pending"),
        ("order.status_changed", "accepted"),
        ("order.status_changed", "cooking"),
    ]
    assert await subscription.get(timeout=0.1) is None


async def test_a_row_whose_json_only_python_reads_is_published_all_the_same(
    tmp_path: Path, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/nan.db")
    await database.prepare(demo_users=False)
    try:
        async with database.session() as session, session.begin():
            session.add(  # json.dumps writes NaN, which orjson refuses to read
                OutboxEvent(
                    order_id="o-1",
                    event_type="order.created",
                    target={"roles": ["cook"]},
                    data={"order_id": "o-1", "weight": float("nan")},
                    created_at=utc_now(),
                )
            )
        subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
        assert await relay_for(database, outbox, flaky_bus).drain() == 1
        frame = await _frame(subscription)
    finally:
        await database.close()
    assert frame["data"] == {"order_id": "o-1", "weight": None}


async def test_a_relay_that_stalled_leaves_its_events_to_another_with_the_same_ids(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    clock = Clock()
    await orders.place_order("c-1", [ITEM])
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    stalled = relay_for(database, outbox, flaky_bus, clock)
    late = await stalled._claim()  # claimed and given an id, then the relay stalled

    survivor = relay_for(database, outbox, flaky_bus, clock)
    assert await survivor.drain() == 0  # leased to the stalled relay
    clock.now += timedelta(seconds=31)
    [claimed] = await survivor._claim()
    # Back after its lease, the stalled relay deletes nothing the survivor holds.
    await stalled._settle(late[0].claim, [late[0].row_id], published=True)
    assert await pending(database) == 1

    await survivor._publisher.publish_many([(claimed.notice, claimed.event_id)])
    await survivor._settle(claimed.claim, [claimed.row_id], published=True)
    assert await pending(database) == 0
    assert (await _frame(subscription))["id"] == late[0].event_id == claimed.event_id


class SlowIds(FlakyBus):
    """Hands out ids once ``gate`` is set; ``asked`` says a relay is waiting for some."""

    def __init__(self) -> None:
        super().__init__()
        self.asked, self.gate = asyncio.Event(), asyncio.Event()

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        self.asked.set()
        await self.gate.wait()
        return await super().log_ids(log, count, first_into=first_into)


async def test_a_relay_whose_lease_ran_out_before_its_ids_came_publishes_none_of_those_rows(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    clock = Clock()
    await orders.place_order("c-1", [ITEM])
    slow_bus = SlowIds()
    await slow_bus.connect()
    try:
        stalled = relay_for(database, outbox, slow_bus, clock)
        late = asyncio.create_task(stalled._claim())
        await asyncio.wait_for(slow_bus.asked.wait(), WAIT)  # leased, waiting for ids
        clock.now += timedelta(seconds=31)
        [claimed] = await relay_for(database, outbox, flaky_bus, clock)._claim()
        slow_bus.gate.set()
        assert await late == []
    finally:
        await slow_bus.close()
    async with database.session() as session:
        assert await session.scalar(select(OutboxEvent.event_id)) == claimed.event_id


class HeldDeletes(OutboxRelay):
    """A relay whose deletes of published rows wait for ``release``; ``deleting`` says
    one is waiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deleting, self.release = asyncio.Event(), asyncio.Event()

    async def _settle(self, claim: str, row_ids: Sequence[int], *, published: bool) -> None:
        if published:
            self.deleting.set()
            await self.release.wait()
        await super()._settle(claim, row_ids, published=published)


async def test_a_commit_goes_out_at_once_while_the_previous_batch_is_being_deleted(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    publisher = NotificationPublisher(flaky_bus, log_maxlen=1000, retention=3600)
    # The relay's own claims, not the publish at commit, are what this test watches.
    relay = HeldDeletes(database, outbox, publisher, poll_interval=3600, publish_at_commit=False)
    relay.start(flaky_bus)
    try:
        first = await orders.place_order("c-1", [ITEM])
        assert (await _frame(subscription))["data"]["order_id"] == first.order_id
        await asyncio.wait_for(relay.deleting.wait(), WAIT)
        second = await orders.place_order("c-2", [ITEM])
        assert (await _frame(subscription))["data"]["order_id"] == second.order_id
    finally:
        relay.release.set()
        await relay.stop()
    assert await pending(database) == 0


async def test_a_batch_costs_a_few_round_trips_and_statements_not_a_few_per_event(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL, buffer=10_000)
    for n in range(60):
        await orders.place_order(f"c-{n}", [ITEM])
    relay = relay_for(database, outbox, flaky_bus)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = database.autocommit_engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert await relay.relay() == 60
        await relay.settled()
    finally:
        event.remove(engine, "before_cursor_execute", count)

    # Ids in one batch with the epoch check, then every log entry and publish in one.
    assert flaky_bus.round_trips == 2
    # The lease, the ids, the delete: three statements, each committing by itself.
    assert len(statements) == 3, statements
    assert statements[-1].lstrip().upper().startswith("DELETE")
    assert len(await _frames(subscription, 60)) == 60
    assert await pending(database) == 0


async def test_two_relays_publish_batches_each_event_once_each_order_in_order(
    database: Database, orders: OrderService, outbox: Outbox, either_bus: Bus
) -> None:
    subscription = await either_bus.subscribe(WS_NOTIFY_CHANNEL, buffer=10_000)
    placed = [await orders.place_order(f"c-{n}", [ITEM]) for n in range(30)]
    for step in (OrderStatus.ACCEPTED, OrderStatus.COOKING, OrderStatus.READY):
        for order in placed:
            await orders.change_status(order.order_id, step, COOK)
    relays = [relay_for(database, outbox, either_bus, batch=7) for _ in range(2)]
    for relay in relays:
        relay.start(either_bus)
    try:
        await until_empty(database)
    finally:
        for relay in relays:
            await relay.stop()

    frames = await _frames(subscription, 120)
    ids = [frame["id"] for frame in frames]
    assert len(ids) == len(set(ids)) == 120
    for order in placed:
        statuses = [f["data"]["status"] for f in frames if f["data"]["order_id"] == order.order_id]
        assert statuses == ["pending", "accepted", "cooking", "ready"]
    log = relays[0]._publisher.log
    replayed = await log.replay("c-0", Role.CUSTOMER, "0-0")
    assert [frame_id for frame_id, _ in replayed.frames] == [
        f["id"]
        for f in frames
        if f["data"]["order_id"] == placed[0].order_id and f["type"] != "order.created"
    ]


async def test_on_a_cluster_an_orders_notifications_go_out_on_one_partition(
    database: Database, orders: OrderService, outbox: Outbox
) -> None:
    bus = ShardedMemoryBus()
    await bus.connect()
    placed = [await orders.place_order(f"c-{n}", [ITEM]) for n in range(20)]
    for step in (OrderStatus.ACCEPTED, OrderStatus.COOKING):
        for order in placed:
            await orders.change_status(order.order_id, step, COOK)
    relay = relay_for(database, outbox, bus)
    subscription = await bus.subscribe(*relay._publisher.channels, buffer=10_000)
    assert await relay.drain() == 60

    channels: dict[str, set[str]] = {}
    for _ in range(60):
        message = await subscription.get(timeout=WAIT)
        assert message is not None
        order_id = json.loads(json.loads(message.data)["frame"])["data"]["order_id"]
        channels.setdefault(order_id, set()).add(message.channel)
    await bus.close()
    assert relay._publisher.channels == keys.ws_notify_partitions(keys.WS_NOTIFY_PARTITIONS)
    assert all(len(used) == 1 for used in channels.values())  # created, accepted, cooking
    assert len(set.union(*channels.values())) > 3  # and the orders spread


@pytest.mark.redis
async def test_a_relay_killed_mid_batch_leaves_nothing_lost_and_nothing_doubled(
    database: Database, orders: OrderService, outbox: Outbox, redis_bus: Bus
) -> None:
    clock = Clock()
    placed = [await orders.place_order(f"c-{n}", [ITEM]) for n in range(30)]
    subscription = await redis_bus.subscribe(WS_NOTIFY_CHANNEL, buffer=10_000)
    dead = relay_for(database, outbox, redis_bus, clock)
    claimed = await dead._claim()
    # Killed while its pipeline went out: half the batch reached Redis, nothing was deleted.
    await dead._publisher.publish_many([(row.notice, row.event_id) for row in claimed[:15]])

    survivor = relay_for(database, outbox, redis_bus, clock)
    assert await survivor.drain() == 0  # leased to the dead relay
    clock.now += timedelta(seconds=31)
    assert await survivor.drain() == 30
    assert await pending(database) == 0

    frames = await _frames(subscription, 45)
    ids_by_order: dict[str, set[str]] = {}
    for frame in frames:
        ids_by_order.setdefault(frame["data"]["order_id"], set()).add(frame["id"])
    # Each order's event went out under the one id it was claimed with, at most twice.
    assert ids_by_order == {row.order_id: {row.event_id} for row in claimed}
    assert {order.order_id for order in placed} == set(ids_by_order)
    replayed = await survivor._publisher.log.replay("cook-1", Role.COOK, "0-0")
    assert sorted(frame_id for frame_id, _ in replayed.frames) == sorted(
        row.event_id for row in claimed
    )


async def test_the_backlog_and_its_oldest_rows_age_are_measured_while_the_bus_is_down(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    clock = Clock()
    clock.now += timedelta(seconds=90)  # the relay reads the rows a minute and a half later
    relay = relay_for(database, outbox, flaky_bus, clock)
    flaky_bus.down = True
    for n in range(3):
        await orders.place_order(f"c-{n}", [ITEM])
    relay.start(flaky_bus)
    try:
        await eventually(lambda: _gauge("outbox_backlog") == 3, within=WAIT)
        assert _gauge("outbox_oldest_age_seconds") > 60

        flaky_bus.down = False
        await eventually(lambda: _gauge("outbox_backlog") == 0, within=WAIT)
        assert _gauge("outbox_oldest_age_seconds") == 0
    finally:
        await relay.stop()


def _gauge(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


class WatchedOutbox(Outbox):
    """An outbox whose relay's waiting can be seen: idle is waiting, with no wake-up due."""

    waiting = False

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        self.waiting = True
        try:
            await super().wait(timeout)
        finally:
            self.waiting = False

    @property
    def idle(self) -> bool:
        return self.waiting and not self._bell.is_set()


def watched_orders(database: Database) -> tuple[WatchedOutbox, OrderService]:
    """An order service whose outbox's relay can be seen waiting."""
    watched = WatchedOutbox()
    return watched, OrderService(database, CatalogService(database), outbox=watched)


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[Database]:
    await empty_database(postgres_url)
    database = Database(postgres_url)
    await database.prepare(demo_users=True)
    yield database
    await database.close()


async def test_a_commit_on_another_instance_wakes_a_relay_long_before_its_poll(
    postgres_database: Database, flaky_bus: FlakyBus
) -> None:
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    # This instance's relay polls once an hour; the order is placed by another instance,
    # whose own outbox bell it never hears.
    watched = WatchedOutbox()
    relay = OutboxRelay(
        postgres_database,
        watched,
        NotificationPublisher(flaky_bus, log_maxlen=1000, retention=3600),
        poll_interval=3600,
    )
    elsewhere = OrderService(postgres_database, CatalogService(postgres_database), outbox=Outbox())
    relay.start(flaky_bus)
    try:
        await eventually(lambda: relay.commits is not None and relay.commits.listening)
        await eventually(lambda: watched.idle)
        order = await elsewhere.place_order("c-1", [ITEM])
        frame = await _frame(subscription)
    finally:
        await relay.stop()
    assert (frame["type"], frame["data"]["order_id"]) == ("order.created", order.order_id)


async def test_on_postgresql_outbox_pages_keep_room_for_the_lease_write(
    postgres_database: Database,
) -> None:
    async with postgres_database.engine.connect() as connection:
        options = await connection.scalar(
            text("SELECT reloptions FROM pg_class WHERE relname = 'outbox_events'")
        )
    assert "fillfactor=50" in options


class CountedClaims(OutboxRelay):
    """A relay that counts its claims (every lease query it runs)."""

    claims = 0

    async def _claim(self) -> list[Claimed]:
        self.claims += 1
        return await super()._claim()


class CheckedAtPublish(FlakyBus):
    """A bus that, at each batch, reads the outbox rows as committed: the event ids
    the database holds when a frame goes out."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.committed_ids: list[set[str]] = []

    def batch(self, *, order: str | None = None) -> Batch:
        bus = self

        class Checked(_CountedBatch):
            async def execute(self) -> list[Any]:
                async with bus.database.session() as session:
                    ids = await session.scalars(select(OutboxEvent.event_id))
                    bus.committed_ids.append({event_id for event_id in ids if event_id})
                return await super().execute()

        return Checked(self, order=order)


async def test_a_commit_is_published_by_its_own_instance_without_waiting_for_a_claim(
    database: Database, orders: OrderService, outbox: Outbox
) -> None:
    bus = CheckedAtPublish(database)
    await bus.connect()
    subscription = await bus.subscribe(WS_NOTIFY_CHANNEL)
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    # Its claims would come once an hour: only the publish at commit can send the frame.
    relay = CountedClaims(database, outbox, publisher, poll_interval=3600)
    relay.start(bus)
    try:
        # The round at start, and on PostgreSQL the one once it listens, on an empty table.
        await eventually(lambda: relay.commits is None or relay.commits.listening)
        await eventually(lambda: relay.claims == (1 if relay.commits is None else 2))
        claims = relay.claims
        order = await orders.place_order("c-1", [ITEM])
        message = await subscription.get(timeout=WAIT)
        await until_empty(database)  # and its row deleted
    finally:
        await relay.stop()
        await bus.close()
    assert message is not None
    envelope = json.loads(message.data)
    frame = json.loads(envelope["frame"])
    assert (frame["type"], frame["data"]["order_id"]) == ("order.created", order.order_id)
    assert relay.claims == claims
    # Its id was durable, committed with its row, before the frame went out.
    assert frame["id"] in bus.committed_ids[-1]
    assert envelope["written_at"] is not None  # what the commit -> socket histogram reads


class DiesAfterCommit(OutboxRelay):
    """An instance that dies between an order's commit and its publish."""

    def publish_committed(self, written: Written) -> None:
        return None


async def test_a_commit_whose_instance_died_before_publishing_goes_out_once_with_its_id(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    clock = Clock()
    publisher = NotificationPublisher(flaky_bus, log_maxlen=1000, retention=3600)
    dead = DiesAfterCommit(database, outbox, publisher, poll_interval=3600, clock=clock)
    dead.start(flaky_bus)
    try:
        await orders.place_order("c-1", [ITEM])
    finally:
        await dead.stop()
    async with database.session() as session:
        row = (await session.scalars(select(OutboxEvent))).one()
    assert row.event_id is not None and row.claimed_by == dead.commit_claim

    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    survivor = relay_for(database, outbox, flaky_bus, clock)
    assert await survivor.drain() == 0  # still leased to the dead instance
    clock.now += timedelta(seconds=COMMIT_LEASE + 1)
    assert await survivor.drain() == 1
    frames = await _frames(subscription, 1)
    assert frames[0]["id"] == row.event_id
    assert await pending(database) == 0


async def test_a_publish_at_commit_that_fails_releases_exactly_its_rows(
    database: Database, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    publisher = NotificationPublisher(flaky_bus, log_maxlen=1000, retention=3600)
    relay = OutboxRelay(database, outbox, publisher, poll_interval=3600)
    notice = created_notice({"order_id": "o"})
    until = utc_now() + timedelta(seconds=COMMIT_LEASE)
    async with database.session() as session, session.begin():
        rows = [
            OutboxEvent(
                order_id=f"o-{n}",
                event_type=notice.event_type,
                target=notice.target,
                data=dict(notice.data),
                created_at=utc_now(),
                event_id=f"1-{n}",
                claimed_by=relay.commit_claim,
                claimed_until=until,
            )
            for n in range(3)
        ]
        session.add_all(rows)
    # The middle row committed later: it is the next publish's, between the ids of
    # the rows whose publish fails.
    flaky_bus.down = True
    for row in (rows[0], rows[2]):
        relay.publish_committed(Written(row.id, notice, row.event_id))
    await relay._committed_settled()
    async with database.session() as session:
        leases = (await session.execute(select(OutboxEvent.id, OutboxEvent.claimed_by))).all()
    assert dict(leases) == {rows[0].id: None, rows[1].id: relay.commit_claim, rows[2].id: None}


async def test_an_order_written_while_the_bus_hangs_waits_at_most_id_wait_then_goes_out_later(
    database: Database, orders: OrderService, outbox: Outbox
) -> None:
    bus = SlowIds()  # hands out no id until the gate opens
    await bus.connect()
    subscription = await bus.subscribe(WS_NOTIFY_CHANNEL)
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    relay = OutboxRelay(database, outbox, publisher, poll_interval=0.05, id_wait=0.2)
    relay.start(bus)
    try:
        # WAIT only bounds a failure: without the id wait, the order waits for the gate.
        order = await asyncio.wait_for(orders.place_order("c-1", [ITEM]), WAIT)
        # It asked for an id, and committed without one while the bus still hangs.
        assert bus.asked.is_set() and not bus.gate.is_set()
        async with database.session() as session:
            row = (await session.scalars(select(OutboxEvent))).one()
        # No id, no lease at commit (a relay's claim may hold it by now, waiting for ids).
        assert row.event_id is None and row.claimed_by != relay.commit_claim
        bus.gate.set()  # the bus answers again: the relay publishes it
        frames = await _frames(subscription, 1)
        await until_empty(database)
    finally:
        bus.gate.set()
        await relay.stop()
        await bus.close()
    assert frames[0]["data"]["order_id"] == order.order_id


class SeenIds(FlakyBus):
    """Notes in ``seen`` when an id is asked for, among the statements answered."""

    def __init__(self, seen: list[str]) -> None:
        super().__init__()
        self.seen = seen

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        self.seen.append("id asked")
        return await super().log_ids(log, count, first_into=first_into)


async def test_the_id_is_asked_beside_the_change_s_statements_after_its_lock(
    database: Database, orders: OrderService, outbox: Outbox
) -> None:
    seen: list[str] = []
    noted = (
        "INSERT INTO users",
        "INSERT INTO orders",
        "UPDATE orders",
        "INSERT INTO outbox",
        "WITH",  # PostgreSQL: a new order is one statement
    )

    def note(*args: Any) -> None:
        statement = args[2]
        seen.extend(name for name in noted if statement.startswith(name))

    bus = SeenIds(seen)
    await bus.connect()
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    relay = OutboxRelay(database, outbox, publisher, poll_interval=3600)
    relay.start(bus)
    event.listen(database.engine.sync_engine, "after_cursor_execute", note)
    try:
        order = await orders.place_order("c-1", [ITEM])
        placed, seen[:] = list(seen), []
        await until_empty(database)
        await orders.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
        changed = list(seen)
    finally:
        event.remove(database.engine.sync_engine, "after_cursor_execute", note)
        await relay.stop()
        await bus.close()
    # A new order's id is asked before its first statement has answered (on PostgreSQL
    # beside the checkout: its one statement holds the row); a change's once the
    # order's row is locked (its ids keep its commits' order), before the statement
    # that follows has answered.
    if database.is_sqlite:
        assert placed == [
            "id asked",
            "INSERT INTO users",
            "INSERT INTO orders",
            "INSERT INTO outbox",
        ]
    else:
        assert placed == ["id asked", "WITH"]
    assert changed == ["UPDATE orders", "id asked", "INSERT INTO users", "INSERT INTO outbox"]


class HeldAtCommit(OutboxRelay):
    """A relay whose publishes at commit wait for ``release``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held = 0
        self.release = asyncio.Event()

    async def _publish_committed(self) -> None:
        self.held += 1
        await self.release.wait()
        await super()._publish_committed()


async def test_a_change_of_an_order_whose_last_event_is_not_yet_out_follows_it(
    database: Database, flaky_bus: FlakyBus
) -> None:
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    watched, orders = watched_orders(database)
    publisher = NotificationPublisher(flaky_bus, log_maxlen=1000, retention=3600)
    # No poll: the delete of the created event's row wakes the relay for the change.
    relay = HeldAtCommit(database, watched, publisher, poll_interval=3600)
    relay.start(flaky_bus)
    try:
        order = await orders.place_order("c-1", [ITEM])
        await eventually(lambda: relay.held == 1)  # committed, its publish held
        await orders.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
        async with database.session() as session:
            rows = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all()
        # The change waits for the relay, behind the created event.
        assert [row.event_id is None for row in rows] == [False, True]
        # The relay's rounds at the change's commit (and its NOTIFY) must not pass it.
        await eventually(lambda: watched.idle)
        relay.release.set()
        frames = await _frames_in_time(subscription, 2)
        await until_empty(database)
    finally:
        relay.release.set()
        await relay.stop()
    assert [f["type"] for f in frames] == ["order.created", "order.status_changed"]


async def test_orders_moved_along_while_relays_run_arrive_in_order_each_once(
    database: Database, orders: OrderService, outbox: Outbox, either_bus: Bus
) -> None:
    subscription = await either_bus.subscribe(WS_NOTIFY_CHANNEL, buffer=10_000)
    relays = [relay_for(database, outbox, either_bus, batch=7) for _ in range(2)]
    for relay in relays:
        relay.start(either_bus)
    try:

        async def move(n: int) -> str:
            order = await orders.place_order(f"c-{n}", [ITEM])
            for step in (OrderStatus.ACCEPTED, OrderStatus.COOKING, OrderStatus.READY):
                await orders.change_status(order.order_id, step, COOK)
            return order.order_id

        placed = await asyncio.gather(*(move(n) for n in range(20)))
        frames = await _frames_in_time(subscription, 80)
        await until_empty(database)
    finally:
        for relay in relays:
            await relay.stop()
    assert await subscription.get(timeout=0.1) is None
    ids = [frame["id"] for frame in frames]
    assert len(ids) == len(set(ids)) == 80
    for order_id in placed:
        statuses = [f["data"]["status"] for f in frames if f["data"]["order_id"] == order_id]
        assert statuses == ["pending", "accepted", "cooking", "ready"]


async def test_on_postgresql_only_rows_without_a_lease_wake_the_relays(
    postgres_database: Database, postgres_url: str
) -> None:
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    listener = await asyncpg.connect(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    try:
        for leased in (True, False):
            async with postgres_database.session() as session, session.begin():
                session.add(
                    OutboxEvent(
                        order_id="o-1",
                        event_type="order.created",
                        target={"roles": ["cook"]},
                        data={},
                        created_at=utc_now(),
                        event_id="1-1" if leased else None,
                        claimed_by="x" if leased else None,
                        claimed_until=utc_now() if leased else None,
                    )
                )
        async with postgres_database.engine.begin() as connection:
            await connection.execute(text(f"NOTIFY {NOTIFY_CHANNEL}, 'end'"))
        # Notifications arrive in commit order: one, the unleased row's, before the end.
        received = [await asyncio.wait_for(heard.get(), WAIT) for _ in range(2)]
    finally:
        await listener.close()
    assert received == ["", "end"]


async def _frames_in_time(subscription: Subscription, expected: int) -> list[dict[str, Any]]:
    return [await _frame(subscription) for _ in range(expected)]


async def _frames(subscription: Subscription, expected: int) -> list[dict[str, Any]]:
    """The ``expected`` frames published, once they arrived; and no more."""
    frames = [await _frame(subscription) for _ in range(expected)]
    assert await subscription.get(timeout=0.1) is None
    return frames


async def _frame(subscription: Subscription) -> dict[str, Any]:
    message = await subscription.get(timeout=WAIT)
    assert message is not None, "nothing was published"
    frame: dict[str, Any] = json.loads(json.loads(message.data)["frame"])
    return frame


@pytest.mark.parametrize("at_commit", [True, False])
async def test_outbox_publish_at_commit_turns_the_publish_at_commit_on_and_off(
    make_settings: Callable[..., Settings], at_commit: bool
) -> None:
    settings = make_settings(outbox_publish_at_commit=at_commit)
    async with create_app(settings).test_app() as test_app:
        service = test_app.app.extensions[ORDER_SERVICE]
        relay = service._outbox._at_commit
        assert (relay is not None) is at_commit


class BrokenFirstId(FlakyBus):
    """Its first id request waits for ``gate``, then fails with an error the bus does not
    name (not a :class:`BusError`); later requests are answered."""

    def __init__(self) -> None:
        super().__init__()
        self.asked, self.gate = asyncio.Event(), asyncio.Event()
        self._broken = True

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        if self._broken:
            self._broken = False
            self.asked.set()
            await self.gate.wait()
            raise RuntimeError("the id request broke after its transaction failed")
        return await super().log_ids(log, count, first_into=first_into)


class _Failed(Exception):
    pass


async def _fail_after_asking(database: Database, outbox: Outbox) -> None:
    """A transaction that asks for an id, then fails before writing its row."""
    with suppress(_Failed):
        async with database.session() as session, session.begin():
            outbox.ask()
            raise _Failed


async def test_an_id_asked_by_a_transaction_that_failed_is_let_go_and_blocks_nothing(
    database: Database, orders: OrderService, outbox: Outbox
) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    default_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    bus = BrokenFirstId()
    await bus.connect()
    subscription = await bus.subscribe(WS_NOTIFY_CHANNEL)
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    # No poll and no id wait to speak of: only the publish at commit can send the frame.
    relay = OutboxRelay(database, outbox, publisher, poll_interval=3600, id_wait=WAIT)
    relay.start(bus)
    try:
        await _fail_after_asking(database, outbox)
        await asyncio.wait_for(bus.asked.wait(), WAIT)  # the unused request is still out
        bus.gate.set()  # and fails with no one waiting for it
        await eventually(lambda: not relay._asking)  # let go once done
        gc.collect()  # a task whose exception no one retrieved says so as it goes
        order = await orders.place_order("c-1", [ITEM])
        [frame] = await _frames(subscription, 1)
        await until_empty(database)
    finally:
        await relay.stop()
        await bus.close()
        loop.set_exception_handler(default_handler)
    assert frame["data"]["order_id"] == order.order_id
    assert not relay._asking
    assert reported == []


async def test_a_relay_leases_at_most_its_batch_of_rows_at_a_time(
    database: Database, orders: OrderService, outbox: Outbox, flaky_bus: FlakyBus
) -> None:
    for n in range(10):
        await orders.place_order(f"c-{n}", [ITEM])
    relay = relay_for(database, outbox, flaky_bus, batch=4)
    assert await relay.relay() == 4
    await relay.settled()
    assert await pending(database) == 6
    assert await relay.drain() == 6


async def test_outbox_batch_is_the_relays_batch(make_settings: Callable[..., Settings]) -> None:
    async with create_app(make_settings(outbox_batch=7)).test_app() as test_app:
        relay = test_app.app.extensions[ORDER_SERVICE]._outbox._at_commit
        assert relay is not None and relay._batch == 7


async def test_on_postgresql_a_relay_skips_the_rows_another_is_leasing_without_waiting(
    postgres_database: Database, flaky_bus: FlakyBus
) -> None:
    outbox = Outbox()
    orders = OrderService(postgres_database, CatalogService(postgres_database), outbox=outbox)
    for n in range(3):
        await orders.place_order(f"c-{n}", [ITEM])
    relay = relay_for(postgres_database, outbox, flaky_bus)
    async with postgres_database.engine.connect() as other, other.begin():
        # Another relay's lease, still under way, holds the first row.
        locked = await other.scalar(
            text("SELECT id FROM outbox_events ORDER BY id LIMIT 1 FOR UPDATE")
        )
        # WAIT only bounds a failure: a relay that waited for the lock would hang here.
        claimed = await asyncio.wait_for(relay._claim(), WAIT)
    async with postgres_database.session() as session:
        row_ids = set(await session.scalars(select(OutboxEvent.id)))
    assert {row.row_id for row in claimed} == row_ids - {locked}
    assert len(claimed) == 2


class NeverClaims(OutboxRelay):
    """A relay that publishes at commit only: its claims find nothing."""

    async def _claim(self) -> list[Claimed]:
        return []


class CountedSlowIds(SlowIds):
    """:class:`SlowIds` that counts the id requests."""

    requests = 0

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        self.requests += 1
        return await super().log_ids(log, count, first_into=first_into)


async def test_after_the_bus_gave_no_id_in_time_the_next_commits_do_not_ask_again(
    database: Database, orders: OrderService, outbox: Outbox
) -> None:
    bus = CountedSlowIds()  # hands out no id until the gate opens: never, here
    await bus.connect()
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    relay = NeverClaims(database, outbox, publisher, poll_interval=3600, id_wait=0.2)
    relay.start(bus)
    try:
        await orders.place_order("c-1", [ITEM])  # waits id_wait for its id, in vain
        assert bus.requests == 1
        await orders.place_order("c-2", [ITEM])  # within poll_interval: not asked
        assert bus.requests == 1
    finally:
        bus.gate.set()
        await relay.stop()
        await bus.close()
    async with database.session() as session:
        event_ids = list(await session.scalars(select(OutboxEvent.event_id)))
    assert event_ids == [None, None]  # both wait for a relay


class ConnectionSaid(FlakyBus, ListenedMemoryBus):
    """A flaky bus that tells its connection listeners what :meth:`say` says."""

    def say(self, connected: bool) -> None:
        self.down = not connected
        for listener in list(self.listeners):
            listener(connected)


async def test_a_bus_back_from_an_outage_wakes_the_relay_long_before_its_poll(
    database: Database,
) -> None:
    bus = ConnectionSaid()
    await bus.connect()
    subscription = await bus.subscribe(WS_NOTIFY_CHANNEL)
    watched, orders = watched_orders(database)
    publisher = NotificationPublisher(bus, log_maxlen=1000, retention=3600)
    relay = OutboxRelay(database, watched, publisher, poll_interval=3600)
    relay.start(bus)
    try:
        await eventually(lambda: relay.commits is None or relay.commits.listening)
        bus.say(False)
        order = await orders.place_order("c-1", [ITEM])
        await eventually(lambda: watched.idle)  # its round at the commit failed
        assert await pending(database) == 1
        bus.say(True)
        frame = await _frame(subscription)
        await until_empty(database)
    finally:
        await relay.stop()
        await bus.close()
    assert frame["data"]["order_id"] == order.order_id


async def test_an_orders_next_row_goes_out_once_the_batch_before_it_is_deleted(
    database: Database, flaky_bus: FlakyBus
) -> None:
    watched, orders = watched_orders(database)
    order = await orders.place_order("c-1", [ITEM])  # no relay yet: both rows wait
    await orders.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
    subscription = await flaky_bus.subscribe(WS_NOTIFY_CHANNEL)
    publisher = NotificationPublisher(flaky_bus, log_maxlen=1000, retention=3600)
    relay = HeldDeletes(database, watched, publisher, poll_interval=3600, publish_at_commit=False)
    relay.start(flaky_bus)
    try:
        await eventually(lambda: relay.commits is None or relay.commits.listening)
        first = await _frame(subscription)
        await asyncio.wait_for(relay.deleting.wait(), WAIT)
        await eventually(lambda: watched.idle)  # the change waits for the delete
        relay.release.set()
        second = await _frame(subscription)
        await until_empty(database)
    finally:
        relay.release.set()
        await relay.stop()
    assert [first["type"], second["type"]] == ["order.created", "order.status_changed"]
