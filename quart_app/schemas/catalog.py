"""Response model of ``GET /api/menus`` (docs/contract.md §2.4, ``docs/ai-messages.md``).

Names come in Korean (``name``) and English (``name_en``); descriptions in
English (``description``, as in the AI context) and Korean (``description_ko``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class IngredientResponse(BaseModel):
    """A default ingredient: ``quantity`` units per dinner, extras at ``unit_price``."""

    code: str
    name: str
    name_en: str
    quantity: int
    unit_price: int


class MenuStyleResponse(BaseModel):
    """A style a menu allows, with the price it adds per dinner."""

    code: str
    name: str
    name_en: str
    price_delta: int


class MenuResponse(BaseModel):
    """A dinner; ``styles`` lists only those it allows, in the catalog's order."""

    code: str
    name: str
    name_en: str
    description: str
    description_ko: str
    price: int
    ingredients: list[IngredientResponse]
    styles: list[MenuStyleResponse]


class StyleResponse(MenuStyleResponse):
    """A serving style and the menus that allow it."""

    description: str
    description_ko: str
    menu_codes: list[str]


class CatalogResponse(BaseModel):
    """The whole catalog, prices in whole ``currency`` units."""

    currency: Literal["KRW"]
    menus: list[MenuResponse]
    styles: list[StyleResponse]
