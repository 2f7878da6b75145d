"""Alembic environment: migrates the connection the app hands over, or ``DATABASE_URL``."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from quart_app.models import Base

target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_database_url() -> None:
    from config import load_settings

    engine = create_async_engine(load_settings().database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")

given = context.config.attributes.get("connection")
if given is not None:
    _migrate(given)
else:
    asyncio.run(_migrate_database_url())
