from __future__ import annotations

import pytest

from domain import (
    Catalog,
    InvalidQuantity,
    MalformedData,
    StyleNotAllowed,
    UnknownIngredient,
    UnknownMenu,
    UnknownStyle,
)
from domain.catalog import check_quantity, ingredient_quantity_allowed, quantity_allowed
from tests.support.domain_samples import GRAND, SIMPLE, build_catalog


def test_menu_by_code(catalog: Catalog) -> None:
    assert catalog.menu("english").name_en == "English Dinner"


def test_unknown_menu_code_names_the_field(catalog: Catalog) -> None:
    with pytest.raises(UnknownMenu) as raised:
        catalog.menu("sushi")
    assert raised.value.field == "menu_code"
    assert "sushi" in raised.value.message


def test_menu_by_position(catalog: Catalog) -> None:
    assert catalog.menu_at(0).code == "french"
    assert catalog.menu_at(2).code == "champagne"


@pytest.mark.parametrize("index", [-1, 3, 100])
def test_menu_position_out_of_range(catalog: Catalog, index: int) -> None:
    with pytest.raises(UnknownMenu) as raised:
        catalog.menu_at(index)
    assert raised.value.field == "menu_selection"


def test_style_of_a_menu(catalog: Catalog) -> None:
    assert catalog.style("french", "grand") == GRAND


def test_style_nobody_offers_is_unknown(catalog: Catalog) -> None:
    with pytest.raises(UnknownStyle) as raised:
        catalog.style("french", "royal")
    assert raised.value.field == "style_code"


def test_style_another_menu_offers_is_not_allowed(catalog: Catalog) -> None:
    with pytest.raises(StyleNotAllowed) as raised:
        catalog.style("champagne", "simple")
    assert raised.value.field == "style_code"


def test_a_style_by_its_code_whichever_menu_offers_it(catalog: Catalog) -> None:
    assert catalog.offered_style("simple").code == "simple"
    with pytest.raises(UnknownStyle) as raised:
        catalog.offered_style("royal")
    assert raised.value.field == "style_code"


def test_style_of_an_unknown_menu(catalog: Catalog) -> None:
    with pytest.raises(UnknownMenu):
        catalog.style("sushi", "simple")


def test_style_positions_follow_the_menus_own_list(catalog: Catalog) -> None:
    assert catalog.style_at("french", 0) == SIMPLE
    assert catalog.style_at("champagne", 0) == GRAND


@pytest.mark.parametrize("index", [-1, 2])
def test_style_position_out_of_range(catalog: Catalog, index: int) -> None:
    with pytest.raises(UnknownStyle) as raised:
        catalog.style_at("champagne", index)
    assert raised.value.field == "style_selection"


def test_all_styles_in_order_of_first_appearance(catalog: Catalog) -> None:
    assert [style.code for style in catalog.all_styles()] == ["simple", "grand", "deluxe"]


def test_duplicate_menu_codes_are_refused() -> None:
    menu = build_catalog().menus[0]
    with pytest.raises(MalformedData):
        Catalog((menu, menu))


# pricing -------------------------------------------------------------------------
def test_price_is_menu_plus_style_times_quantity(catalog: Catalog) -> None:
    line = catalog.validate_item("french", "grand", 2, {})
    assert (line.unit_price, line.line_total) == (53_000, 106_000)


def test_extra_units_are_charged_at_unit_price(catalog: Catalog) -> None:
    line = catalog.validate_item("french", "grand", 2, {"wine": 3, "steak": 1})
    assert line.unit_price == 48_000 + 5_000 + 2 * 8_000
    assert line.line_total == 2 * line.unit_price


def test_fewer_units_are_not_refunded(catalog: Catalog) -> None:
    line = catalog.validate_item("english", "simple", 1, {"bacon": 0, "eggs": 1})
    assert line.unit_price == 42_000


def test_order_line_keeps_what_was_ordered(catalog: Catalog) -> None:
    line = catalog.validate_item("champagne", "deluxe", 1, {"baguette": 6})
    assert line.to_dict() == {
        "menu_code": "champagne",
        "style_code": "deluxe",
        "quantity": 1,
        "customizations": {"baguette": 6},
        "unit_price": 90_000 + 10_000 + 2 * 2_000,
        "line_total": 104_000,
    }


@pytest.mark.parametrize("quantity", [1, 20])
def test_quantity_limits_are_inclusive(catalog: Catalog, quantity: int) -> None:
    assert catalog.validate_item("french", "simple", quantity).quantity == quantity


@pytest.mark.parametrize("quantity", [0, -1, 21, True])
def test_quantity_out_of_range(catalog: Catalog, quantity: int) -> None:
    with pytest.raises(InvalidQuantity) as raised:
        catalog.validate_item("french", "simple", quantity)
    assert raised.value.field == "quantity"


@pytest.mark.parametrize(("quantity", "allowed"), [(1, True), (20, True), (0, False), (21, False)])
def test_quantity_allowed_is_the_range_check_quantity_enforces(
    quantity: int, allowed: bool
) -> None:
    assert quantity_allowed(quantity) is allowed
    if allowed:
        assert check_quantity(quantity) == quantity
    else:
        with pytest.raises(InvalidQuantity):
            check_quantity(quantity)


@pytest.mark.parametrize("value", [True, 2.0, "2", None])
def test_only_a_whole_number_is_an_allowed_quantity(value: object) -> None:
    assert not quantity_allowed(value)
    assert not ingredient_quantity_allowed(value)


@pytest.mark.parametrize(("amount", "allowed"), [(0, True), (10, True), (-1, False), (11, False)])
def test_ingredient_quantity_allowed_is_the_range_of_a_customization(
    catalog: Catalog, amount: int, allowed: bool
) -> None:
    assert ingredient_quantity_allowed(amount) is allowed
    if allowed:
        assert catalog.check_customization("french", "wine", amount).code == "wine"
    else:
        with pytest.raises(InvalidQuantity):
            catalog.check_customization("french", "wine", amount)


def test_validate_item_refuses_a_style_the_menu_does_not_allow(catalog: Catalog) -> None:
    with pytest.raises(StyleNotAllowed):
        catalog.validate_item("champagne", "simple", 1)


def test_customizing_an_ingredient_of_another_menu(catalog: Catalog) -> None:
    with pytest.raises(UnknownIngredient) as raised:
        catalog.validate_item("french", "simple", 1, {"bacon": 1})
    assert raised.value.field == "customizations"


@pytest.mark.parametrize("amount", [-1, 11, True])
def test_customization_amount_out_of_range(catalog: Catalog, amount: int) -> None:
    with pytest.raises(InvalidQuantity) as raised:
        catalog.validate_item("french", "simple", 1, {"wine": amount})
    assert raised.value.field == "customizations"


def test_customization_limits_are_inclusive(catalog: Catalog) -> None:
    line = catalog.validate_item("french", "simple", 1, {"wine": 10, "coffee": 0})
    assert line.customizations == {"wine": 10, "coffee": 0}
