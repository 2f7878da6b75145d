"""The pool's connections on PostgreSQL: each checkout finds a live one, cheaply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from quart_app.database import Database


@pytest.fixture
async def postgres(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(postgres_url)
    yield database
    await database.close()


@pytest.fixture
async def observer(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    yield connection
    await connection.close()


async def _pooled_backend(database: Database) -> int:
    """The server process of the (only) pooled connection, once it is back in the pool."""
    async with database.engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def test_a_checkout_asks_one_query_outside_any_transaction(
    postgres: Database, observer: asyncpg.Connection
) -> None:
    pid = await _pooled_backend(postgres)
    async with postgres.engine.connect():  # checked out: pinged, nothing asked yet
        last = await observer.fetchrow(
            "SELECT query, state FROM pg_stat_activity WHERE pid = $1", pid
        )
    # asyncpg's own pre-ping is three round trips: BEGIN, the ping, ROLLBACK.
    assert (last["query"], last["state"]) == ("SELECT 1", "idle")


async def test_a_pooled_connection_the_server_dropped_is_replaced_at_checkout(
    postgres: Database, observer: asyncpg.Connection
) -> None:
    pid = await _pooled_backend(postgres)
    assert await observer.fetchval("SELECT pg_terminate_backend($1)", pid)
    async with postgres.engine.connect() as connection:
        assert await connection.scalar(text("SELECT 41 + 1")) == 42
        assert await connection.scalar(text("SELECT pg_backend_pid()")) != pid
