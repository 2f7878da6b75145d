"""``context.catalog``: one definition (``bus/ai_messages.py:AICatalog``) written from the
domain's catalog by the service and read back into it by an AI Server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from pydantic import ValidationError

from bus.ai_messages import AICatalog
from domain import Catalog, MalformedData
from domain.language import DEFAULT_LANGUAGE
from tests.support.domain_samples import build_catalog
from tests.support.strategies import catalogs


def test_the_ai_context_has_the_documented_shape() -> None:
    assert DEFAULT_LANGUAGE == "ko"  # the bare name and description are Korean
    context = AICatalog.of(build_catalog()).model_dump()
    assert context["currency"] == "KRW"
    assert [menu["code"] for menu in context["menus"]] == ["french", "english", "champagne"]
    assert context["menus"][2] == {
        "code": "champagne",
        "name_ko": "샴페인 축제 디너",
        "name_en": "Champagne Feast",
        "name": "샴페인 축제 디너",
        "description_ko": "",
        "description_en": "Champagne for two, baguettes, coffee",
        "description": "",
        "price": 90_000,
        "ingredients": [
            {"code": "champagne", "name_ko": "샴페인", "name_en": "champagne", "name": "샴페인",
             "quantity": 1, "unit_price": 40_000},
            {"code": "baguette", "name_ko": "바게트빵", "name_en": "baguette", "name": "바게트빵",
             "quantity": 4, "unit_price": 2_000},
            {"code": "coffee", "name_ko": "커피", "name_en": "coffee", "name": "커피",
             "quantity": 1, "unit_price": 3_000},
        ],
        "styles": [
            {"code": "grand", "name_ko": "그랜드", "name_en": "Grand", "name": "그랜드",
             "price_delta": 5_000},
            {"code": "deluxe", "name_ko": "디럭스", "name_en": "Deluxe", "name": "디럭스",
             "price_delta": 10_000},
        ],
    }  # fmt: skip


def test_the_bare_name_is_written_out_never_read() -> None:
    context = AICatalog.of(build_catalog()).model_dump()
    context["menus"][0]["name"] = "anything"
    context["menus"][0]["description"] = "anything"
    assert AICatalog.model_validate(context).to_catalog() == build_catalog()


def test_the_ai_context_round_trips() -> None:
    catalog = build_catalog()
    assert AICatalog.of(catalog).to_catalog() == catalog


@given(catalogs)
def test_any_catalog_round_trips_through_json(generated: Catalog) -> None:
    wire = json.loads(json.dumps(AICatalog.of(generated).model_dump(), ensure_ascii=False))
    assert AICatalog.model_validate(wire).to_catalog() == generated


def _broken(change: Any) -> dict[str, Any]:
    context = AICatalog.of(build_catalog()).model_dump()
    change(context)
    return context


@pytest.mark.parametrize(
    ("context", "location"),
    [
        ([], ()),
        (_broken(lambda c: c.pop("currency")), ("currency",)),
        (_broken(lambda c: c.update(currency="USD")), ("currency",)),
        (_broken(lambda c: c.update(menus={})), ("menus",)),
        (_broken(lambda c: c["menus"][1].update(price="42000")), ("menus", 1, "price")),
        (_broken(lambda c: c["menus"][0].update(price=True)), ("menus", 0, "price")),
        (_broken(lambda c: c["menus"][0].update(price=-1)), ("menus", 0, "price")),
        (
            _broken(lambda c: c["menus"][0]["styles"][1].pop("price_delta")),
            ("menus", 0, "styles", 1, "price_delta"),
        ),
        (
            _broken(lambda c: c["menus"][2]["ingredients"][0].update(name_ko=None)),
            ("menus", 2, "ingredients", 0, "name_ko"),
        ),
        (
            _broken(lambda c: c["menus"][2]["ingredients"][0].update(quantity=11)),
            ("menus", 2, "ingredients", 0, "quantity"),
        ),
        (_broken(lambda c: c["menus"].append("french")), ("menus", 3)),
    ],
)
def test_a_malformed_ai_context_names_the_bad_member(context: Any, location: tuple[Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        AICatalog.model_validate(context)
    assert raised.value.errors()[0]["loc"] == location


def test_two_menus_of_one_code_are_malformed() -> None:
    context = _broken(lambda c: c["menus"].append(c["menus"][0]))
    with pytest.raises(MalformedData) as raised:
        AICatalog.model_validate(context).to_catalog()
    assert raised.value.field == "menus"
