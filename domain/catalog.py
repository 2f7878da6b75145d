"""The dinner catalog: menus, the styles each allows, their ingredients, and pricing.

Prices are whole KRW. The server prices every order line itself
(``docs/ai-messages.md``): ``menu.price + style.price_delta + extras``, times the
quantity, where extras are the units of an ingredient above the menu's default,
each at the ingredient's ``unit_price``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from domain.errors import (
    InvalidQuantity,
    MalformedData,
    StyleNotAllowed,
    UnknownIngredient,
    UnknownMenu,
    UnknownStyle,
)
from domain.language import Language

CURRENCY: Literal["KRW"] = "KRW"
MAX_QUANTITY = 20
"""Most dinners of one kind in one order line."""
MAX_INGREDIENT_QUANTITY = 10
"""Most units of one ingredient per dinner."""


class _Named:
    """Something the catalog names in each language: ``name_ko`` and ``name_en``."""

    __slots__ = ()
    name_ko: str
    name_en: str

    def name_in(self, language: Language) -> str:
        """The name in ``language``."""
        return self.name_ko if language == "ko" else self.name_en


@dataclass(frozen=True, slots=True)
class Ingredient(_Named):
    """A default ingredient of a menu: ``quantity`` units per dinner."""

    code: str
    name_ko: str
    name_en: str
    quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class Style(_Named):
    """A serving style; ``price_delta`` is added to the menu's price per dinner."""

    code: str
    name_ko: str
    name_en: str
    price_delta: int


@dataclass(frozen=True, slots=True)
class Menu(_Named):
    """A dinner; ``styles`` holds only the styles it allows, in their fixed order."""

    code: str
    name_ko: str
    name_en: str
    description_ko: str
    """Empty if the menu has no Korean description (the English one never stands in)."""
    description_en: str
    """Empty if the menu has no English description."""
    price: int
    ingredients: tuple[Ingredient, ...]
    styles: tuple[Style, ...]

    def ingredient(self, code: str) -> Ingredient:
        """The ingredient with ``code``, or :class:`UnknownIngredient`."""
        for ingredient in self.ingredients:
            if ingredient.code == code:
                return ingredient
        raise UnknownIngredient(
            f"{self.name_en} has no ingredient {code!r}", field="customizations"
        )

    def description_in(self, language: Language) -> str:
        """The description in ``language``: empty if there is none in it."""
        return self.description_ko if language == "ko" else self.description_en

    def allowed_style(self, code: str) -> Style | None:
        """The style with ``code`` if this menu allows it."""
        return next((style for style in self.styles if style.code == code), None)


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One validated, server-priced line of an order."""

    menu_code: str
    style_code: str
    quantity: int
    customizations: Mapping[str, int]
    unit_price: int
    """Price of one dinner, extras included."""
    line_total: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "menu_code": self.menu_code,
            "style_code": self.style_code,
            "quantity": self.quantity,
            "customizations": dict(self.customizations),
            "unit_price": self.unit_price,
            "line_total": self.line_total,
        }


def quantity_allowed(quantity: object) -> TypeGuard[int]:
    """Whether ``quantity`` is a whole number of dinners in ``1..MAX_QUANTITY``."""
    return _whole(quantity) and 1 <= quantity <= MAX_QUANTITY


def check_quantity(quantity: int) -> int:
    """``quantity`` if :func:`quantity_allowed`, else :class:`InvalidQuantity`."""
    if not _whole(quantity):
        raise InvalidQuantity("quantity must be a whole number", field="quantity")
    if not quantity_allowed(quantity):
        raise InvalidQuantity(f"quantity must be between 1 and {MAX_QUANTITY}", field="quantity")
    return quantity


def _whole(number: object) -> TypeGuard[int]:
    return isinstance(number, int) and not isinstance(number, bool)


def ingredient_quantity_allowed(quantity: object) -> TypeGuard[int]:
    """Whether ``quantity`` is a whole number of units per dinner in
    ``0..MAX_INGREDIENT_QUANTITY``."""
    return _whole(quantity) and 0 <= quantity <= MAX_INGREDIENT_QUANTITY


def check_ingredient_quantity(ingredient_code: str, quantity: int) -> int:
    """``quantity`` if :func:`ingredient_quantity_allowed`, else :class:`InvalidQuantity`."""
    if not _whole(quantity):
        raise InvalidQuantity(f"{ingredient_code} must be a whole number", field="customizations")
    if not ingredient_quantity_allowed(quantity):
        raise InvalidQuantity(
            f"{ingredient_code} must be between 0 and {MAX_INGREDIENT_QUANTITY} per dinner",
            field="customizations",
        )
    return quantity


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every menu on offer, in a fixed order (``menu_selection`` indexes it)."""

    menus: tuple[Menu, ...]

    def __post_init__(self) -> None:
        codes = [menu.code for menu in self.menus]
        if len(set(codes)) != len(codes):
            raise MalformedData("menu codes must be unique", field="menus")

    def find_menu(self, code: str) -> Menu | None:
        """The menu with ``code``, if there is one."""
        return next((menu for menu in self.menus if menu.code == code), None)

    def menu(self, code: str) -> Menu:
        """The menu with ``code``, or :class:`UnknownMenu`."""
        menu = self.find_menu(code)
        if menu is None:
            raise UnknownMenu(f"there is no menu {code!r}", field="menu_code")
        return menu

    def menu_at(self, index: int) -> Menu:
        """The menu at 0-based ``index``, or :class:`UnknownMenu`."""
        if not 0 <= index < len(self.menus):
            raise UnknownMenu(f"there is no menu number {index}", field="menu_selection")
        return self.menus[index]

    def style(self, menu_code: str, style_code: str) -> Style:
        """The style ``style_code`` of menu ``menu_code``.

        Raises :class:`UnknownMenu`, :class:`UnknownStyle` (no menu offers it) or
        :class:`StyleNotAllowed` (another menu offers it, this one does not).
        """
        menu = self.menu(menu_code)
        style = menu.allowed_style(style_code)
        if style is not None:
            return style
        self.offered_style(style_code)
        raise StyleNotAllowed(
            f"{menu.name_en} is not served in style {style_code!r}", field="style_code"
        )

    def style_at(self, menu_code: str, index: int) -> Style:
        """The style at 0-based ``index`` among those menu ``menu_code`` allows."""
        styles = self.menu(menu_code).styles
        if not 0 <= index < len(styles):
            raise UnknownStyle(f"there is no style number {index}", field="style_selection")
        return styles[index]

    def check_customization(
        self, menu_code: str, ingredient_code: str, quantity: int
    ) -> Ingredient:
        """The menu's ingredient, if ``quantity`` is a valid per-dinner amount of it."""
        ingredient = self.menu(menu_code).ingredient(ingredient_code)
        check_ingredient_quantity(ingredient_code, quantity)
        return ingredient

    def validate_item(
        self,
        menu_code: str,
        style_code: str,
        quantity: int,
        customizations: Mapping[str, int] | None = None,
    ) -> OrderLine:
        """Check one order line against the catalog and price it.

        Raises the :class:`~domain.errors.CatalogError` that names the first bad field.
        """
        menu = self.menu(menu_code)
        style = self.style(menu_code, style_code)
        check_quantity(quantity)
        wanted = dict(customizations or {})
        extras = 0
        for code, amount in wanted.items():
            ingredient = self.check_customization(menu_code, code, amount)
            # Fewer units than the default are not refunded.
            extras += max(0, amount - ingredient.quantity) * ingredient.unit_price
        unit_price = menu.price + style.price_delta + extras
        return OrderLine(
            menu_code=menu.code,
            style_code=style.code,
            quantity=quantity,
            customizations=wanted,
            unit_price=unit_price,
            line_total=unit_price * quantity,
        )

    def all_styles(self) -> tuple[Style, ...]:
        """Every distinct style some menu offers, in order of first appearance."""
        seen: dict[str, Style] = {}
        for menu in self.menus:
            for style in menu.styles:
                seen.setdefault(style.code, style)
        return tuple(seen.values())

    def offered_style(self, code: str) -> Style:
        """The style with ``code`` that some menu offers, or :class:`UnknownStyle`."""
        style = next((style for style in self.all_styles() if style.code == code), None)
        if style is None:
            raise UnknownStyle(f"there is no style {code!r}", field="style_code")
        return style
