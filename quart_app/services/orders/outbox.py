"""The transactional outbox: order notifications survive a bus that is down.

A change and its notifications commit together (:meth:`Outbox.add` inside the
change's transaction); :class:`OutboxRelay`, running in every instance,
publishes them afterwards, at least once:

1. claim: in one transaction, pick up to ``batch`` pending rows whose order
   has no earlier row pending (PostgreSQL locks them with ``FOR UPDATE SKIP
   LOCKED``, so two relays never pick one row; SQLite takes its write lock),
   take ids for those without a notification id (all in one bus round trip),
   and write the ids and a lease of ``lease`` seconds to this claim in one
   statement;
2. publish the whole batch, in row id order, in one bus round trip
   (:meth:`NotificationPublisher.publish_many`);
3. delete the claim's rows in one statement (on PostgreSQL, a commit that
   doesn't wait for the disk: lost in a crash, the rows go out again with the
   same ids), or, if step 2 failed, release them.

At most one row of an order is ever claimed and unpublished, so the events of
one order reach each addressee in the order they were written. A relay that
dies between 1 and 3 leaves its rows leased; once the lease ends another relay
publishes them again *with the same ids*, and sockets drop a frame id they
already delivered. While the bus is down, step 1 or 2 fails and
the relay tries again every ``poll_interval`` seconds, and at once when the
bus says it is back.

A relay runs after its own instance's commits (:meth:`Outbox.wake`), every
``poll_interval`` seconds, and, on PostgreSQL, at every instance's commit: a
trigger sends ``NOTIFY outbox_events`` with each commit that adds rows, and
every relay ``LISTEN``s. A notification lost while a listener reconnects
costs at most one ``poll_interval``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import (
    BigInteger,
    String,
    Table,
    Text,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable

from bus import Bus, BusError
from quart_app.database import Database, Listener
from quart_app.models import OutboxEvent, utc_now
from quart_app.observability.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from quart_app.services.realtime.notifications import Notice, NotificationPublisher

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox_events"
"""What a commit that adds outbox rows notifies on PostgreSQL (migration 0006's trigger)."""

BACKLOG_EVERY = 1.0
"""Seconds between two readings of the backlog for ``/metrics`` (one query each)."""

STOP_WAIT = 5.0
"""Longest :meth:`OutboxRelay.stop` waits for a round in progress before cancelling it."""

_TABLE = cast(Table, OutboxEvent.__table__)
# The JSON columns come back as their text, which orjson reads (json.loads was
# a tenth of a relay's CPU).
_CLAIMED_COLUMNS = (
    OutboxEvent.id,
    OutboxEvent.order_id,
    OutboxEvent.event_type,
    sql_cast(OutboxEvent.target, Text).label("target"),
    sql_cast(OutboxEvent.data, Text).label("data"),
    OutboxEvent.event_id,
    OutboxEvent.created_at,
)


class Outbox:
    """Writes notifications beside the change they announce, and rings the relay."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._bell = asyncio.Event()

    def add(self, session: AsyncSession, order_id: str, notice: Notice) -> None:
        """Keep ``notice`` in ``session``'s transaction; it is published after the commit."""
        session.add(
            OutboxEvent(
                order_id=order_id,
                event_type=notice.event_type,
                target=notice.target,
                data=dict(notice.data),
                created_at=self._clock(),
            )
        )

    def wake(self) -> None:
        """Tell the relay there is something to publish (after a commit)."""
        self._bell.set()

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return when woken, or after ``timeout`` seconds."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._bell.wait(), timeout)
        self._bell.clear()


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row leased to a relay: its notice, the notification id it goes out with, and
    the claim (one per batch) that holds it."""

    row_id: int
    order_id: str
    notice: Notice
    event_id: str
    claim: str


def _parsed(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what json wrote and only json reads (NaN on SQLite)
        return json.loads(text)


class OutboxRelay:
    """Publishes the outbox's rows; one per app instance, any number per database."""

    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        publisher: NotificationPublisher,
        *,
        poll_interval: float = 1.0,
        lease: float = 30.0,
        batch: int = 500,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.name = uuid.uuid4().hex
        self._database = database
        self._outbox = outbox
        self._publisher = publisher
        self._poll_interval = poll_interval
        self._lease = timedelta(seconds=lease)
        self._batch = batch
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._forget_listener: Callable[[], None] | None = None
        self._backlog_due = 0.0
        self.commits: Listener | None = None
        """On PostgreSQL, the ``LISTEN`` that wakes this relay at any instance's commit."""

    def start(self, bus: Bus) -> None:
        """Run in the background; ``bus`` tells when it is back after an outage."""
        self._forget_listener = bus.add_connection_listener(self._bus_connection)
        if not self._database.is_sqlite:
            self.commits = self._database.listener(
                NOTIFY_CHANNEL, self._outbox.wake, retry=self._poll_interval
            )
            self.commits.start()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.name}")

    async def stop(self) -> None:
        """Finish the round in progress (up to ``STOP_WAIT`` s), then stop."""
        if self._forget_listener is not None:
            self._forget_listener()
        if self.commits is not None:
            await self.commits.stop()
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._outbox.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_WAIT)
        except TimeoutError:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def relay(self) -> int:
        """Publish one batch of pending notifications; return how many were published."""
        claimed = await self._claim()
        if not claimed:
            return 0
        try:
            await self._publisher.publish_many([(row.notice, row.event_id) for row in claimed])
        except BaseException:
            await self._settle(claimed, published=False)
            raise
        await self._settle(claimed, published=True)
        return len(claimed)

    async def drain(self) -> int:
        """Publish until nothing is pending; return how many were published."""
        total = 0
        while published := await self.relay():
            total += published
        return total

    async def _claim(self) -> list[Claimed]:
        """Lease a batch, in row id order, with the ids its rows go out with."""
        now = self._clock()
        claim = uuid.uuid4().hex
        async with self._database.session() as session, session.begin():
            picked = await session.execute(self._pick(now, claim))
            rows = sorted(picked.all(), key=lambda row: row.id)
            fresh = [row.id for row in rows if row.event_id is None]
            given = dict(zip(fresh, await self._publisher.log.next_ids(len(fresh)), strict=True))
            if rows:
                await self._lease_rows(
                    session, claim, now, [(row.id, given.get(row.id, row.event_id)) for row in rows]
                )
        return [
            Claimed(
                row.id,
                row.order_id,
                Notice.from_target(
                    _parsed(row.target),
                    row.event_type,
                    _parsed(row.data),
                    written_at=row.created_at.timestamp(),
                    key=row.order_id,  # an order's notices keep their order on a cluster
                ),
                given.get(row.id, row.event_id),
                claim,
            )
            for row in rows
        ]

    def _pick(self, now: datetime, claim: str) -> Executable:
        """Up to ``batch`` pending rows whose order has no earlier row pending, locked
        for this transaction."""
        earlier = aliased(OutboxEvent)
        waits_for_earlier = exists().where(
            earlier.order_id == OutboxEvent.order_id, earlier.id < OutboxEvent.id
        )
        pending = (
            select(OutboxEvent.id)
            .where(or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now))
            .where(~waits_for_earlier)
            .order_by(OutboxEvent.id)
            .limit(self._batch)
        )
        if self._database.is_sqlite:
            # SQLite locks no rows: an UPDATE takes its write lock at once, for the
            # rest of the transaction, so that no other relay picks these rows.
            return (
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(pending.scalar_subquery()))
                .values(claimed_by=claim)
                .returning(*_CLAIMED_COLUMNS)
                .execution_options(synchronize_session=False)
            )
        # PostgreSQL locks the rows without writing them, and another relay skips them.
        return pending.with_only_columns(*_CLAIMED_COLUMNS).with_for_update(skip_locked=True)

    async def _lease_rows(
        self, session: AsyncSession, claim: str, now: datetime, ids: list[tuple[int, str]]
    ) -> None:
        """Lease the ``(row id, event id)`` rows to ``claim`` and write their event ids,
        in one statement: each row is written once."""
        lease = {"claimed_by": claim, "claimed_until": now + self._lease}
        if self._database.is_sqlite:
            await session.execute(
                update(_TABLE)
                .where(_TABLE.c.id == bindparam("row_id"))
                .values(**lease, event_id=bindparam("given_id")),
                [{"row_id": row_id, "given_id": event_id} for row_id, event_id in ids],
            )
            return
        row_ids, event_ids = zip(*ids, strict=True)
        given = (
            func.unnest(
                bindparam("row_ids", list(row_ids), type_=ARRAY(BigInteger)),
                bindparam("event_ids", list(event_ids), type_=ARRAY(String)),
            )
            .table_valued("row_id", "event_id")
            .render_derived(name="given")
        )
        await session.execute(
            update(_TABLE)
            .where(_TABLE.c.id == given.c.row_id)
            .values(**lease, event_id=given.c.event_id)
        )

    async def _settle(self, claimed: list[Claimed], *, published: bool) -> None:
        """Delete the published batch, or release it to be claimed again, in one statement."""
        # The claim names its rows; their id range lets the primary key find them.
        mine = (
            _TABLE.c.id.between(claimed[0].row_id, claimed[-1].row_id),
            _TABLE.c.claimed_by == claimed[0].claim,
        )
        settle = (
            delete(_TABLE).where(*mine)
            if published
            else update(_TABLE).where(*mine).values(claimed_by=None, claimed_until=None)
        )
        async with self._database.session() as session, session.begin():
            if not self._database.is_sqlite:
                # Lost in a crash, the rows are published again with the same ids, which
                # sockets drop: this commit need not wait for the disk.
                await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            await session.execute(settle)

    async def _run(self) -> None:
        failing = False
        while not self._stopping:
            try:
                published = await self.drain()
            except BusError as error:
                if not failing:
                    log.warning("outbox: the bus is unavailable, will retry: %s", error)
                failing = True
            except Exception:
                # A database outage or a bug: keep the relay alive and retry,
                # saying so once per outage rather than once per attempt.
                if not failing:
                    log.exception("outbox: publishing failed, will retry")
                failing = True
            else:
                if failing:
                    log.info("outbox: publishing again (%d pending published)", published)
                failing = False
            await self._measure_backlog()
            if not self._stopping:
                await self._outbox.wait(self._poll_interval)

    async def _measure_backlog(self) -> None:
        """Set the backlog gauges, at most once per ``BACKLOG_EVERY`` seconds."""
        now = time.monotonic()
        if now < self._backlog_due:
            return
        self._backlog_due = now + BACKLOG_EVERY
        try:
            async with self._database.session() as session:
                waiting, oldest = (
                    await session.execute(select(func.count(), func.min(OutboxEvent.created_at)))
                ).one()
        except Exception:  # the database is down: the relay's own round says so
            return
        OUTBOX_BACKLOG.set(waiting)
        age = 0.0 if oldest is None else (self._clock() - oldest).total_seconds()
        OUTBOX_OLDEST_AGE.set(max(0.0, age))

    def _bus_connection(self, connected: bool) -> None:
        if connected:
            self._outbox.wake()
