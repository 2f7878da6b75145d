"""Test databases: emptying one, watching the SQL it runs, holding statements to force a race."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.util import await_only

from quart_app.database import Database
from quart_app.models import Base

RENDEZVOUS_TIMEOUT = 10.0


async def empty_database(url: str) -> None:
    """Drop every table of the service and Alembic's version table."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await database.close()


@contextmanager
def rendezvous(
    database: Database, matches: Callable[[str], bool], parties: int = 2
) -> Iterator[None]:
    """Hold the first ``parties`` statements that ``matches`` until all of them have run.

    With ``matches`` picking the read of an order, concurrent writers have all
    read it before any of them writes: the race is real, not left to timing.
    """
    barrier = asyncio.Barrier(parties)
    arrived = 0

    def hold(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal arrived
        if arrived < parties and matches(statement):
            arrived += 1
            # Runs inside SQLAlchemy's greenlet: await_only suspends just this task.
            await_only(asyncio.wait_for(barrier.wait(), RENDEZVOUS_TIMEOUT))

    event.listen(database.engine.sync_engine, "after_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(database.engine.sync_engine, "after_cursor_execute", hold)


@contextmanager
def recorded_statements(database: Database) -> Iterator[list[str]]:
    """Every SQL statement ``database`` runs inside the block, but the outbox relay's.

    The relay claims, settles and counts outbox rows in the background, at any
    moment; only a request's own writes to the outbox (its ``INSERT``) count.
    """
    seen: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if _relay_statement(statement):
            return
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


def _relay_statement(statement: str) -> bool:
    if statement.startswith("SET LOCAL synchronous_commit"):  # before the relay's delete
        return True
    # A request writes its outbox row alone, or with a new order's in one statement.
    return "outbox_events" in statement and not statement.lstrip().startswith(("INSERT", "WITH"))


def reads_order(statement: str) -> bool:
    """The statement that loads an order row (not its items)."""
    return statement.lstrip().startswith("SELECT") and "FROM orders" in statement
