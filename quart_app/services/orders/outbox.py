"""The transactional outbox: order notifications survive a bus that is down.

A change and its notifications commit together (:meth:`Outbox.add` inside the
change's transaction), and are published afterwards, at least once.

At commit: while the bus answers, the change asks it for the row's
notification id beside its own statements (:meth:`Outbox.ask`: one round trip,
for a new order as its write starts, for a change once its row is locked, so
an order's ids follow its commits) and writes the row with that id
(:meth:`Outbox.add` or :meth:`Outbox.row`), leased to the committing
instance for ``commit_lease`` seconds; once the transaction commits (:meth:`Outbox.committed`), that
instance publishes it at once (:meth:`OutboxRelay.publish_committed`: one
round trip, batched with the other commits waiting for it), then deletes the
row, also batched. The id is durable before the frame goes out: it commits
with the row, in the change's own transaction. A row gets no id and no lease,
and waits for a relay as below, when the bus did not answer within
``id_wait`` seconds (the change commits all the same), when an earlier row of
its order is still in the table (its order's rows go out in id order), or
with no relay publishing at commit. If the instance dies between the commit
and the delete, the lease lapses and a relay publishes the row with the id it
has; sockets drop a frame id they already delivered.

Otherwise :class:`OutboxRelay`, running in every instance, publishes them:

1. lease: lease up to ``batch`` pending rows whose order has no earlier row
   pending to this claim for ``lease`` seconds (PostgreSQL picks them ``FOR
   UPDATE SKIP LOCKED``, so two relays never lease one row; SQLite has one
   writer);
2. ids: take ids for the rows without a notification id (one bus round trip)
   and write them to the rows still leased to this claim;
3. publish the whole batch, in row id order, in one bus round trip
   (:meth:`NotificationPublisher.publish_many`);
4. delete the claim's rows, or, if step 2 or 3 failed, release them. The
   delete runs beside the next batch's steps 1 to 3 (one delete at a time): a
   commit that arrives meanwhile is not kept waiting for it.

Each step's statement commits by itself (``Database.autocommit_engine``: no
transaction around it, one round trip); only step 2's commit waits for the
disk on PostgreSQL, since a lease lost in a crash lapses and a delete lost in a
crash publishes the rows again with the same ids, but an id lost after its
frame went out would publish the row again under another.

At most one row of an order is ever leased and unpublished, so the events of
one order reach each addressee in the order they were written. A relay that
dies between 1 and 4 leaves its rows leased; once the lease ends another relay
publishes them again *with the same ids*, and sockets drop a frame id they
already delivered. While the bus is down, step 2 or 3 fails and
the relay tries again every ``poll_interval`` seconds, and at once when the
bus says it is back.

A relay runs after its own instance's commits of rows it must publish
(:meth:`Outbox.wake`), after each delete that leaves a later row of its orders
(it may be due now), every ``poll_interval`` seconds, and, on PostgreSQL, at
every instance's commit of such rows: a trigger sends ``NOTIFY outbox_events``
with each commit that adds rows without a lease (migration 0008), and every
relay ``LISTEN``s. A notification lost while a listener reconnects costs at
most one ``poll_interval``; a row published at commit by an instance that died
waits for its lease to lapse, then at most one ``poll_interval``.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import (
    BigInteger,
    String,
    Table,
    Text,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Executable
from sqlalchemy.sql.dml import Insert

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

COMMIT_LEASE = 5.0
"""Seconds a row published at its commit stays leased to its instance: if that
instance dies before deleting it, a relay publishes it again (same id) after this."""

ID_WAIT = 0.5
"""Longest :meth:`Outbox.add` waits for the bus to give an id; then the row waits for
a relay, and the next ``poll_interval`` seconds' rows do too without asking."""

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


@dataclass(frozen=True, slots=True)
class Written:
    """A row :meth:`Outbox.add` put in a transaction; give it to :meth:`Outbox.committed`
    once that transaction has committed. ``event_id`` is set when the row is published
    at its commit, and ``notice`` then carries its written time and key."""

    row_id: int
    notice: Notice
    event_id: str | None


_Lease = tuple[str, str, datetime]
"""A notification id, the commit claim and the lease's end (:meth:`OutboxRelay.lease_at_commit`)."""


@dataclass(frozen=True, slots=True)
class AskedId:
    """The id of a row not written yet, on its way from the bus (:meth:`Outbox.ask`)."""

    _lease: asyncio.Task[_Lease | None] | None = None

    async def lease(self) -> _Lease | None:
        """The id and its lease, or ``None`` if the bus gave none in time (or was not asked)."""
        return None if self._lease is None else await self._lease


class _Leased(enum.Enum):
    """How a row gets its id and lease at its insert."""

    NONE = "none"
    NEW_ORDER = "new order"
    UNLESS_WAITING = "unless an earlier row of its order waits"


_LEASE_COLUMNS = ("event_id", "claimed_by", "claimed_until")
_LEASE_PARAMS = tuple(f"outbox_{name}" for name in _LEASE_COLUMNS)


@functools.cache
def _row_insert(lease: _Leased) -> Insert:
    """The insert of an outbox row, built once (its cache key is then computed once)."""
    columns = ("order_id", "event_type", "target", "data", "created_at")
    values: dict[str, Any] = {
        name: bindparam(f"outbox_{name}", type_=_TABLE.c[name].type) for name in columns
    }
    leased = {
        name: bindparam(param, type_=_TABLE.c[name].type)
        for name, param in zip(_LEASE_COLUMNS, _LEASE_PARAMS, strict=True)
    }
    if lease is _Leased.NEW_ORDER:
        values.update(leased)
    elif lease is _Leased.UNLESS_WAITING:
        waits = exists().where(_TABLE.c.order_id == values["order_id"])
        values.update({name: case((waits, null()), else_=value) for name, value in leased.items()})
    return insert(_TABLE).values(values).returning(_TABLE.c.id, _TABLE.c.event_id)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A row to write (:meth:`Outbox.row`): ``insert``, run with ``params`` (its
    bound parameters' names start with ``outbox_``), returns its id and event id."""

    insert: Insert
    params: dict[str, Any]
    order_id: str
    notice: Notice
    created_at: datetime

    def written(self, row_id: int, event_id: str | None) -> Written:
        """What the insert wrote, for :meth:`Outbox.committed`."""
        notice = self.notice
        if event_id is not None:  # published at commit
            notice = replace(notice, written_at=self.created_at.timestamp(), key=self.order_id)
        return Written(row_id, notice, event_id)


class Outbox:
    """Writes notifications beside the change they announce, and publishes them at
    the commit, or rings the relay."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._bell = asyncio.Event()
        self._at_commit: OutboxRelay | None = None

    def ask(self) -> AskedId:
        """Start asking the bus for the id of a row this transaction will write with
        :meth:`add`, so that the round trip runs beside the change's own statements.

        Call it after the statement that locks the order's row (anywhere in a new
        order's transaction): an order's ids are then taken in the order its changes
        commit. Not asked without a relay publishing at commit, nor while the bus is
        refusing ids (:meth:`OutboxRelay.lease_at_commit`); an id asked and not
        used (the transaction failed) is lost, which ids allow.
        """
        relay = self._at_commit
        return AskedId(None if relay is None else relay.ask_at_commit())

    async def add(
        self,
        session: AsyncSession,
        order_id: str,
        notice: Notice,
        *,
        first_of_order: bool = False,
        asked: AskedId | None = None,
    ) -> Written:
        """Keep ``notice`` in ``session``'s transaction; it is published after the commit.

        With a relay publishing at commit (:meth:`OutboxRelay.start`), the row gets
        its id (``asked`` earlier, else asked now) and a lease, unless an earlier row
        of ``order_id`` is still waiting (not looked for when ``first_of_order``: a
        new order has none; else looked for by the row's own insert) or the bus
        doesn't answer (module docstring). Call it after the statement that locks
        the order's row, so the look sees every earlier committed row.
        """
        row = await self.row(order_id, notice, first_of_order=first_of_order, asked=asked)
        return row.written(*(await session.execute(row.insert, row.params)).one())

    async def row(
        self,
        order_id: str,
        notice: Notice,
        *,
        first_of_order: bool = False,
        asked: AskedId | None = None,
    ) -> OutboxRow:
        """The row :meth:`add` writes, for a caller that writes it in a statement of its
        own making (the insert returns what :meth:`OutboxRow.written` takes)."""
        created_at = self._clock()
        params: dict[str, Any] = {
            "outbox_order_id": order_id,
            "outbox_event_type": notice.event_type,
            "outbox_target": notice.target,
            "outbox_data": dict(notice.data),
            "outbox_created_at": created_at,
        }
        leased = await (asked or self.ask()).lease()
        lease = _Leased.NONE
        if leased is not None:
            # An id given to a row that must wait is not used.
            lease = _Leased.NEW_ORDER if first_of_order else _Leased.UNLESS_WAITING
            params.update(zip(_LEASE_PARAMS, leased, strict=True))
        return OutboxRow(_row_insert(lease), params, order_id, notice, created_at)

    def committed(self, written: Written) -> None:
        """``written``'s transaction committed: publish it now, or wake the relay."""
        relay = self._at_commit
        if written.event_id is not None and relay is not None:
            relay.publish_committed(written)
        else:  # a relay stopped since publishes it once its lease lapses
            self.wake()

    def wake(self) -> None:
        """Tell the relay there is something to publish (after a commit)."""
        self._bell.set()

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return when woken, or after ``timeout`` seconds."""
        # In this task, not in one wait_for would start: a wake-up is one step of
        # the event loop away from the relay, not three.
        with suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._bell.wait()
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


def _row_id(row: Any) -> int:
    return int(row.id)


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
        publish_at_commit: bool = True,
        commit_lease: float = COMMIT_LEASE,
        id_wait: float = ID_WAIT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.name = uuid.uuid4().hex
        self.commit_claim = uuid.uuid4().hex
        """The claim of the rows this instance publishes at their commit."""
        self._publish_at_commit = publish_at_commit
        self._commit_lease = timedelta(seconds=commit_lease)
        self._id_wait = id_wait
        self._ids_refused_until = 0.0
        self._bus_up = True
        self._to_publish: list[Written] = []
        self._asking: set[asyncio.Task[_Lease | None]] = set()
        self._to_delete: list[int] = []
        self._publishing: asyncio.Task[None] | None = None
        self._deleting_committed: asyncio.Task[None] | None = None
        self._database = database
        self._outbox = outbox
        self._publisher = publisher
        self._poll_interval = poll_interval
        self._lease_time = timedelta(seconds=lease)
        self._batch = batch
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._gauges: asyncio.Task[None] | None = None
        self._deleting: asyncio.Task[None] | None = None
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._forget_listener: Callable[[], None] | None = None
        self.commits: Listener | None = None
        """On PostgreSQL, the ``LISTEN`` that wakes this relay at any instance's commit."""
        later = _TABLE.alias("later")
        # The deleted row's columns by their full names: SQLAlchemy writes a SQLite
        # RETURNING without table names, and "order_id = order_id" would compare the
        # later row with itself (never true: no wake-up, the later row waited a poll).
        deleted_order: ColumnElement[Any] = literal_column(f"{_TABLE.name}.order_id")
        deleted_id: ColumnElement[Any] = literal_column(f"{_TABLE.name}.id")
        # Built once: it runs for every few commits. It says, for each row deleted,
        # whether a later row of its order waits.
        self._delete_published = (
            delete(_TABLE)
            .where(
                _TABLE.c.id.in_(bindparam("row_ids", expanding=True)),
                _TABLE.c.claimed_by == bindparam("claim"),
                *self._not_waiting_for_disk(),
            )
            .returning(exists().where(later.c.order_id == deleted_order, later.c.id > deleted_id))
        )

    def start(self, bus: Bus) -> None:
        """Run in the background; ``bus`` tells when it is back after an outage."""
        self._forget_listener = bus.add_connection_listener(self._bus_connection)
        if not self._database.is_sqlite:
            self.commits = self._database.listener(
                NOTIFY_CHANNEL, self._outbox.wake, retry=self._poll_interval
            )
            self.commits.start()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.name}")
        self._gauges = asyncio.create_task(self._measure_backlog(), name="outbox-backlog")
        if self._publish_at_commit:
            self._outbox._at_commit = self

    async def stop(self) -> None:
        """Publish what committed meanwhile and finish the round in progress (up to
        ``STOP_WAIT`` s each), then stop."""
        if self._outbox._at_commit is self:
            self._outbox._at_commit = None
        try:
            await asyncio.wait_for(self._committed_settled(), STOP_WAIT)
        except TimeoutError:  # what is left lapses and goes out from a relay
            for task in (self._publishing, self._deleting_committed):
                if task is not None:
                    task.cancel()
        if self._forget_listener is not None:
            self._forget_listener()
        if self.commits is not None:
            await self.commits.stop()
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._stop_requested.set()
        self._outbox.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_WAIT)
            await asyncio.wait_for(self.settled(), STOP_WAIT)
        except TimeoutError:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        gauges, self._gauges = self._gauges, None
        if gauges is not None:
            await gauges  # not cancelled: a query cancelled midway can hang on SQLite

    def ask_at_commit(self) -> asyncio.Task[_Lease | None] | None:
        """:meth:`lease_at_commit` under way; ``None`` while the bus refuses ids."""
        if self._refusing_ids():
            return None
        asking = asyncio.create_task(self.lease_at_commit())
        # Held until done: a transaction that failed meanwhile no longer holds it.
        self._asking.add(asking)
        asking.add_done_callback(self._asked)
        return asking

    def _asked(self, asking: asyncio.Task[_Lease | None]) -> None:
        self._asking.discard(asking)
        if not asking.cancelled():
            asking.exception()  # retrieved: an unused id's failure is no one's

    def _refusing_ids(self) -> bool:
        return not self._bus_up or time.monotonic() < self._ids_refused_until

    async def lease_at_commit(self) -> _Lease | None:
        """A new notification id, this instance's commit claim and its lease's end, for
        a row about to commit; ``None`` if the bus is down or slow (``ID_WAIT``), and
        for ``poll_interval`` seconds after it was."""
        if self._refusing_ids():
            return None
        try:
            async with asyncio.timeout(self._id_wait):
                [event_id] = await self._publisher.log.next_ids(1)
        except (BusError, TimeoutError) as error:
            self._ids_refused_until = time.monotonic() + self._poll_interval
            log.info("outbox: no id at commit, the relays publish meanwhile: %r", error)
            return None
        return event_id, self.commit_claim, self._clock() + self._commit_lease

    def publish_committed(self, written: Written) -> None:
        """Publish ``written``, just committed with its id and lease, in the background:
        at once, or with the rows that commit while the previous publish is out."""
        self._to_publish.append(written)
        if self._publishing is None or self._publishing.done():
            self._publishing = asyncio.create_task(self._publish_committed())

    async def _publish_committed(self) -> None:
        while self._to_publish:
            batch, self._to_publish = self._to_publish, []
            row_ids = [written.row_id for written in batch]
            try:
                await self._publisher.publish_many(
                    [(written.notice, cast(str, written.event_id)) for written in batch]
                )
            except Exception as error:
                self._ids_refused_until = time.monotonic() + self._poll_interval
                log.warning("outbox: publishing at commit failed, the relays will: %r", error)
                with suppress(Exception):  # else the lease lapses
                    await self._settle(self.commit_claim, row_ids, published=False)
                self._outbox.wake()
                continue
            self._to_delete.extend(row_ids)
            if self._deleting_committed is None or self._deleting_committed.done():
                self._deleting_committed = asyncio.create_task(self._delete_committed())

    async def _delete_committed(self) -> None:
        """Delete the rows published at commit, all those waiting in one statement (those
        published while one runs go in the next), and wake the relay if a later row of
        their orders is waiting."""
        while self._to_delete:
            row_ids, self._to_delete = self._to_delete, []
            try:
                async with self._database.autocommit_engine.connect() as connection:
                    result = await connection.execute(
                        self._delete_published, {"row_ids": row_ids, "claim": self.commit_claim}
                    )
                    waiting = result.scalars().all()
            except Exception:
                log.warning(
                    "outbox: rows published at commit were not deleted; once their lease "
                    "ends, they go out again with the same ids",
                    exc_info=True,
                )
                continue
            if any(waiting):
                self._outbox.wake()

    async def _committed_settled(self) -> None:
        """Return once what committed so far is published and deleted."""
        # The publishing task starts the deleting one: in that order.
        for task in (self._publishing, self._deleting_committed):
            if task is not None:
                await asyncio.shield(task)

    async def relay(self) -> int:
        """Publish one batch of pending notifications; return how many were published.

        Their rows are deleted in the background (:meth:`settled` waits for that):
        the next batch's lease need not wait for it.
        """
        claimed = await self._claim()
        if not claimed:
            return 0
        claim, row_ids = claimed[0].claim, [row.row_id for row in claimed]
        try:
            await self._publisher.publish_many([(row.notice, row.event_id) for row in claimed])
        except BaseException:
            await self._settle(claim, row_ids, published=False)
            raise
        await self.settled()  # one delete at a time: a slow database holds one connection
        self._deleting = asyncio.create_task(self._delete(claim, row_ids))
        return len(claimed)

    async def drain(self) -> int:
        """Publish until nothing is pending; return how many were published."""
        total = 0
        while True:
            while published := await self.relay():
                total += published
            if self._deleting is None:
                return total
            await self.settled()  # a later row of the deleted rows' orders may be due

    async def settled(self) -> None:
        """Return once the rows published so far are deleted (or their delete failed)."""
        deleting, self._deleting = self._deleting, None
        if deleting is not None:
            await deleting

    async def _delete(self, claim: str, row_ids: list[int]) -> None:
        try:
            await self._settle(claim, row_ids, published=True)
        except Exception:
            log.warning(
                "outbox: a published batch was not deleted; once its lease ends, "
                "it goes out again with the same ids",
                exc_info=True,
            )
        finally:
            self._outbox.wake()  # a later row of these orders may be leased now

    async def _claim(self) -> list[Claimed]:
        """Lease a batch, in row id order, with the ids its rows go out with."""
        now = self._clock()
        claim = uuid.uuid4().hex
        async with self._database.autocommit_engine.connect() as connection:
            rows = sorted((await connection.execute(self._lease(now, claim))).all(), key=_row_id)
        if not rows:
            return []
        try:
            given = await self._give_ids(claim, [row.id for row in rows if not row.event_id])
        except BaseException:
            await self._settle(claim, [row.id for row in rows], published=False)
            raise
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
                row.event_id or given[row.id],
                claim,
            )
            for row in rows
            if row.event_id or row.id in given
        ]

    def _lease(self, now: datetime, claim: str) -> Executable:
        """Lease to ``claim`` up to ``batch`` pending rows whose order has no earlier row
        pending, in one statement that commits alone."""
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
        chosen: Any = pending.scalar_subquery()
        if not self._database.is_sqlite:
            # Another relay skips the rows this one is leasing (SQLite has one writer).
            # Chosen once: as a subquery, PostgreSQL may run the selection again for
            # each row it updates, each run locking up to ``batch`` more rows.
            materialized = (
                pending.with_for_update(skip_locked=True).cte("pending").prefix_with("MATERIALIZED")
            )
            chosen = select(materialized.c.id)
        return (
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(chosen), *self._not_waiting_for_disk())
            .values(claimed_by=claim, claimed_until=now + self._lease_time)
            .returning(*_CLAIMED_COLUMNS)
            .execution_options(synchronize_session=False)
        )

    async def _give_ids(self, claim: str, row_ids: list[int]) -> dict[int, str]:
        """New notification ids for ``row_ids``, written to those still leased to
        ``claim`` before any goes out (a row published again keeps its id); the ids
        written."""
        if not row_ids:
            return {}
        event_ids = await self._publisher.log.next_ids(len(row_ids))
        new_id: Any
        where: ColumnElement[bool]
        if self._database.is_sqlite:
            new_id = case(dict(zip(row_ids, event_ids, strict=True)), value=_TABLE.c.id)
            where = _TABLE.c.id.in_(row_ids)
        else:
            given = (
                func.unnest(
                    bindparam("row_ids", row_ids, type_=ARRAY(BigInteger)),
                    bindparam("event_ids", event_ids, type_=ARRAY(String)),
                )
                .table_valued("row_id", "event_id")
                .render_derived(name="given")
            )
            new_id, where = given.c.event_id, _TABLE.c.id == given.c.row_id
        # A relay whose lease ran out meanwhile writes nothing over its successor's ids.
        async with self._database.autocommit_engine.connect() as connection:
            written = await connection.execute(
                update(_TABLE)
                .where(where, _TABLE.c.claimed_by == claim, _TABLE.c.event_id.is_(None))
                .values(event_id=new_id)
                .returning(_TABLE.c.id, _TABLE.c.event_id)
            )
        return {row.id: row.event_id for row in written}

    async def _settle(self, claim: str, row_ids: Sequence[int], *, published: bool) -> None:
        """Delete ``claim``'s rows ``row_ids`` once published, or release them to be
        claimed again, in one statement: those rows only (the commit claim holds
        later commits' rows too, which may be on their way out)."""
        mine = (
            _TABLE.c.id.in_(row_ids),
            _TABLE.c.claimed_by == claim,
            *self._not_waiting_for_disk(),
        )
        settle = (
            delete(_TABLE).where(*mine)
            if published
            else update(_TABLE).where(*mine).values(claimed_by=None, claimed_until=None)
        )
        async with self._database.autocommit_engine.connect() as connection:
            await connection.execute(settle)

    def _not_waiting_for_disk(self) -> tuple[ColumnElement[bool], ...]:
        """On PostgreSQL, a condition, always true, that lets an autocommit statement
        (which has no ``SET LOCAL``) commit without waiting for the disk: for the lease
        (lost in a crash, it lapses) and the delete (the rows go out again with the
        same ids), never for the ids, which must outlive a crash once published."""
        if self._database.is_sqlite:
            return ()
        return (func.set_config("synchronous_commit", "off", True) == "off",)

    async def _run(self) -> None:
        failing = False
        while not self._stopping:
            try:
                published = 0
                while count := await self.relay():
                    published += count
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
            if not self._stopping:
                await self._outbox.wait(self._poll_interval)

    async def _measure_backlog(self) -> None:
        """Set the backlog gauges every ``BACKLOG_EVERY`` seconds, apart from the rounds
        (a commit that arrives meanwhile need not wait for this query)."""
        while not self._stopping:
            try:
                async with self._database.session() as session:
                    waiting, oldest = (
                        await session.execute(
                            select(func.count(), func.min(OutboxEvent.created_at))
                        )
                    ).one()
            except Exception:  # the database is down: the relay's own round says so
                pass
            else:
                OUTBOX_BACKLOG.set(waiting)
                age = 0.0 if oldest is None else (self._clock() - oldest).total_seconds()
                OUTBOX_OLDEST_AGE.set(max(0.0, age))
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), BACKLOG_EVERY)

    def _bus_connection(self, connected: bool) -> None:
        self._bus_up = connected
        if connected:
            self._ids_refused_until = 0.0
            self._outbox.wake()
