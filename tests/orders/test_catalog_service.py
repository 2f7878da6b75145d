"""The catalog cache: one query per load, reloaded on expiry or invalidation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from quart_app.database import Database
from quart_app.models import Menu
from quart_app.services.orders.catalog import CatalogService
from tests.support.databases import recorded_statements


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def queries(database: Database) -> Iterator[list[str]]:
    """Every SQL statement the database runs during the test."""
    with recorded_statements(database) as seen:
        yield seen


async def _set_price(database: Database, code: str, price: int) -> None:
    async with database.session() as session, session.begin():
        await session.execute(update(Menu).where(Menu.code == code).values(price=price))


async def test_a_fresh_catalog_is_served_without_a_query(
    database: Database, queries: list[str]
) -> None:
    service = CatalogService(database, ttl=30, clock=Clock())
    first = await service.get_catalog()
    loaded = len(queries)
    assert loaded > 0
    assert await service.get_catalog() is first
    assert len(queries) == loaded


async def test_a_stale_catalog_is_reloaded(database: Database) -> None:
    clock = Clock()
    service = CatalogService(database, ttl=30, clock=clock)
    assert (await service.get_catalog()).menu("french").price == 48_000
    await _set_price(database, "french", 50_000)
    clock.now += 29
    assert (await service.get_catalog()).menu("french").price == 48_000
    clock.now += 1
    assert (await service.get_catalog()).menu("french").price == 50_000


async def test_invalidate_reloads_at_once(database: Database) -> None:
    service = CatalogService(database, ttl=30, clock=Clock())
    await service.get_catalog()
    await _set_price(database, "english", 41_000)
    service.invalidate()
    assert (await service.get_catalog()).menu("english").price == 41_000


async def test_concurrent_first_callers_share_one_load(
    database: Database, queries: list[str]
) -> None:
    service = CatalogService(database, ttl=30, clock=Clock())
    await CatalogService(database).get_catalog()
    one_load = len(queries)
    catalogs = await asyncio.wait_for(
        asyncio.gather(*(service.get_catalog() for _ in range(5))), 30
    )
    assert all(catalog is catalogs[0] for catalog in catalogs)
    assert len(queries) == 2 * one_load


async def test_the_menus_document_matches_the_catalog(catalog_service: CatalogService) -> None:
    snapshot = await catalog_service.get_snapshot()
    document = snapshot.menus_document
    assert document["currency"] == "KRW"
    assert [m["code"] for m in document["menus"]] == [m.code for m in snapshot.catalog.menus]
    feast = next(m for m in document["menus"] if m["code"] == "champagne_feast")
    assert feast["description_ko"].startswith("2인용")
    baguette = next(item for item in feast["ingredients"] if item["code"] == "baguette")
    assert (baguette["name_ko"], baguette["name_en"]) == ("바게트빵", "baguette")
    assert (baguette["quantity"], baguette["unit_price"]) == (4, 2_000)
    simple = next(s for s in document["styles"] if s["code"] == "simple")
    assert simple["price_delta"] == 0
    assert "champagne_feast" not in simple["menu_codes"]
