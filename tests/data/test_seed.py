"""The demo data: a bilingual premium dinner catalog, promotions and users of every role."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.orders import Role
from quart_app.database import Database
from quart_app.models import User, utc_now
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.voice.history import get_active_events


async def test_the_four_dinners_and_the_cake_come_in_korean_and_english(
    catalog_service: CatalogService,
) -> None:
    catalog = await catalog_service.get_catalog()
    names = {menu.code: (menu.name_ko, menu.name_en) for menu in catalog.menus}
    assert names == {
        "valentine": ("발렌타인 디너", "Valentine Dinner"),
        "french": ("프렌치 디너", "French Dinner"),
        "english": ("잉글리시 디너", "English Dinner"),
        "champagne_feast": ("샴페인 축제 디너", "Champagne Feast Dinner"),
        "custom_cake": ("커스텀 케이크", "Custom Cake"),
    }
    styles = {style.code: style.name_ko for style in catalog.all_styles()}
    assert styles == {"simple": "심플", "grand": "그랜드", "deluxe": "디럭스"}
    french = catalog.menu("french")
    assert [i.code for i in french.ingredients] == ["coffee", "wine", "salad", "steak"]
    assert [s.code for s in catalog.menu("champagne_feast").styles] == ["grand", "deluxe"]


async def test_every_role_has_demo_users(database: Database) -> None:
    async with database.session() as session:
        roles = set((await session.scalars(select(User.role))).all())
    assert roles == {role.value for role in Role}


async def test_some_promotions_run_now_and_some_are_over(database: Database) -> None:
    now = utc_now()
    running = await get_active_events(database, now)
    assert {event["title_en"] for event in running} == {"Valentine Week", "Champagne Weekend"}
    over = await get_active_events(database, now - timedelta(days=15))
    assert "French Week" in {event["title_en"] for event in over}
