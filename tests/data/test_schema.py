"""Migrations at start: from nothing, from behind, and several instances at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select, text

from config import Settings
from quart_app import create_app
from quart_app.database import Database
from quart_app.migrations import alembic_config
from quart_app.models import Base, Menu, Promotion, User


async def test_prepare_creates_the_schema_the_models_describe(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await database.prepare(demo_users=True) is True
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            differences = await connection.run_sync(_differences)
            revision = await connection.run_sync(_current_revision)
    finally:
        await database.close()
    assert set(Base.metadata.tables) | {"alembic_version"} <= tables
    assert differences == []
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_a_second_start_migrates_and_seeds_nothing(database: Database) -> None:
    assert await database.prepare(demo_users=True) is False
    assert await _count(database, Menu) == 5


async def test_a_schema_behind_is_brought_to_head(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
        await connection.commit()
        assert await connection.run_sync(_current_revision) is None
    assert await database.prepare(demo_users=True) is True
    assert await _count(database, Menu) == 5


async def test_the_korean_columns_keep_their_text_when_they_get_their_names(
    database: Database,
) -> None:
    async with database.engine.connect() as connection:
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0004"))
        await connection.commit()
        before = (
            await connection.execute(
                text("SELECT name, description, description_en FROM menus WHERE code = 'french'")
            )
        ).one()
    french_text = ("프렌치 디너", "커피, 와인, 샐러드와 스테이크", "Coffee, wine, salad and steak")
    assert before == french_text
    await database.prepare(demo_users=True)
    async with database.session() as session:
        french = await session.get(Menu, "french")
        valentine_week = await session.scalar(select(Promotion).order_by(Promotion.id))
    assert french is not None and valentine_week is not None
    assert (french.name_ko, french.description_ko, french.description_en) == french_text
    assert (valentine_week.title_ko, valentine_week.description_en) == ("발렌타인 위크", "")


async def test_instances_starting_together_migrate_and_seed_once(database_url: str) -> None:
    instances = [Database(database_url) for _ in range(3)]
    try:
        seeded = await asyncio.wait_for(
            asyncio.gather(*(instance.prepare(demo_users=True) for instance in instances)), 60
        )
        assert sorted(seeded) == [False, False, True]
        assert await _count(instances[0], Menu) == 5
        assert await _count(instances[0], Promotion) == 4
    finally:
        for instance in instances:
            await instance.close()


async def test_seeding_leaves_a_non_empty_catalog_alone(database: Database) -> None:
    async with database.session() as session, session.begin():
        await session.delete(await session.get(User, "customer-1"))
    assert await database.prepare(demo_users=True) is False
    assert await _count(database, User) == 7


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _count(database: Database, model: type[Base]) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(("app_env", "users"), [("development", 8), ("production", 0)])
async def test_demo_users_are_seeded_in_development_only(
    make_settings: Callable[..., Settings], app_env: str, users: int
) -> None:
    settings = make_settings(app_env=app_env)
    async with create_app(settings).test_app():
        pass
    database = Database(settings.database_url)
    try:
        assert (await _count(database, Menu), await _count(database, User)) == (5, users)
    finally:
        await database.close()
