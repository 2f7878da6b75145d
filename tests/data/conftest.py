"""The data tests run on SQLite and the real PostgreSQL (``database_url`` in tests/conftest.py).

Each test starts from an empty database (no tables, no ``alembic_version``),
so migrations run from scratch every time. PostgreSQL is required: if it is
unreachable these tests fail, they do not skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from blinker import NamedSignal
from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import event
from sqlalchemy.util import await_only

from config import Settings
from quart_app import create_app
from quart_app.database import Database
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.service import OrderService

RENDEZVOUS_TIMEOUT = 10.0


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The database, migrated and seeded as the app does at start."""
    database = Database(database_url)
    await database.prepare()
    yield database
    await database.close()


@pytest.fixture
def catalog_service(database: Database) -> CatalogService:
    return CatalogService(database)


@pytest.fixture
async def data_app(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Quart]:
    """The whole app, serving, on this test's database."""
    async with create_app(make_settings(database_url=database_url)).test_app() as test_app:
        yield test_app.app


@pytest.fixture
def data_client(data_app: Quart) -> QuartClient:
    return data_app.test_client()


@pytest.fixture
def order_service(data_app: Quart) -> OrderService:
    service: OrderService = data_app.extensions["order_service"]
    return service


class Recorder:
    """Collects what a signal's receivers get: ``(sender, kwargs)`` per send."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    async def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.calls.append((sender, kwargs))


@pytest.fixture
def record(data_app: Quart) -> Iterator[Callable[[NamedSignal], Recorder]]:
    """Connect a :class:`Recorder` to a signal for the app, disconnected after the test."""
    connected: list[tuple[NamedSignal, Recorder]] = []

    def connect(signal: NamedSignal) -> Recorder:
        recorder = Recorder()
        signal.connect(recorder, sender=data_app, weak=False)
        connected.append((signal, recorder))
        return recorder

    yield connect
    for signal, recorder in connected:
        signal.disconnect(recorder, sender=data_app)


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
    """Every SQL statement ``database`` runs inside the block."""
    seen: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


def reads_order(statement: str) -> bool:
    """The statement that loads an order row (not its items)."""
    return statement.lstrip().startswith("SELECT") and "FROM orders" in statement
