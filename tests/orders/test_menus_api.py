"""``GET /api/menus``: public, complete, and served from the catalog cache."""

from __future__ import annotations

from quart import Quart
from quart.testing import QuartClient

from quart_app.extensions import DATABASE
from tests.support.databases import recorded_statements


async def test_the_catalog_is_public_and_bilingual(data_client: QuartClient) -> None:
    response = await data_client.get("/api/menus")
    assert response.status_code == 200
    body = await response.get_json()
    french = next(menu for menu in body["menus"] if menu["code"] == "french")
    assert french["name"] == "프렌치 디너"
    assert french["name_en"] == "French Dinner"
    assert french["price"] == 48_000
    assert french["description"] == "Coffee, wine, salad and steak"
    assert {
        "code": "steak",
        "name": "스테이크",
        "name_en": "steak",
        "quantity": 1,
        "unit_price": 15_000,
    } in french["ingredients"]
    assert [style["code"] for style in french["styles"]] == ["simple", "grand", "deluxe"]
    grand = next(style for style in body["styles"] if style["code"] == "grand")
    assert (grand["name"], grand["name_en"], grand["price_delta"]) == ("그랜드", "Grand", 5_000)


async def test_repeated_requests_query_nothing(data_app: Quart, data_client: QuartClient) -> None:
    await data_client.get("/api/menus")
    with recorded_statements(data_app.extensions[DATABASE]) as statements:
        for _ in range(3):
            assert (await data_client.get("/api/menus")).status_code == 200
    assert statements == []
