"""``GET /api/menus``: public, complete, and served from the catalog cache."""

from __future__ import annotations

from quart import Quart
from quart.testing import QuartClient

from domain.language import DEFAULT_LANGUAGE
from quart_app.extensions import DATABASE
from tests.support.databases import recorded_statements


async def test_the_catalog_is_public_and_bilingual(data_client: QuartClient) -> None:
    response = await data_client.get("/api/menus")
    assert response.status_code == 200
    body = await response.get_json()
    french = next(menu for menu in body["menus"] if menu["code"] == "french")
    assert (french["name_ko"], french["name_en"]) == ("프렌치 디너", "French Dinner")
    assert french["price"] == 48_000
    assert french["description_ko"] == "커피, 와인, 샐러드와 스테이크"
    assert french["description_en"] == "Coffee, wine, salad and steak"
    steak = next(item for item in french["ingredients"] if item["code"] == "steak")
    assert (steak["name_ko"], steak["name_en"], steak["quantity"]) == ("스테이크", "steak", 1)
    assert steak["unit_price"] == 15_000
    assert [style["code"] for style in french["styles"]] == ["simple", "grand", "deluxe"]
    grand = next(style for style in body["styles"] if style["code"] == "grand")
    assert (grand["name_ko"], grand["name_en"], grand["price_delta"]) == ("그랜드", "Grand", 5_000)
    assert grand["description_en"] == "Ceramic plates, cotton napkins, a wooden tray"


async def test_the_bare_name_and_description_are_the_default_languages(
    data_client: QuartClient,
) -> None:
    body = await (await data_client.get("/api/menus")).get_json()
    menus = body["menus"]
    named = [*menus, *body["styles"]]
    named += [item for menu in menus for item in [*menu["ingredients"], *menu["styles"]]]
    for item in named:
        assert item["name"] == item[f"name_{DEFAULT_LANGUAGE}"], item
    for item in [*menus, *body["styles"]]:
        assert item["description"] == item[f"description_{DEFAULT_LANGUAGE}"], item


async def test_repeated_requests_query_nothing(data_app: Quart, data_client: QuartClient) -> None:
    await data_client.get("/api/menus")
    with recorded_statements(data_app.extensions[DATABASE]) as statements:
        for _ in range(3):
            assert (await data_client.get("/api/menus")).status_code == 200
    assert statements == []
