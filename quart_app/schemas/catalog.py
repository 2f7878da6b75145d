"""Response model of ``GET /api/menus`` (docs/contract.md §2.4).

Every name and description says its language (``name_ko``, ``name_en``,
``description_ko``, ``description_en``); the bare ``name`` and ``description``
the contract fixes are the default language's (``domain/language.py``). The
menus are those of the AI context (``bus/ai_messages.py``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bus.ai_messages import AIMenu, AIStyle, Described


class CatalogStyle(AIStyle, Described):
    """A serving style, described, and the menus that allow it."""

    menu_codes: list[str]


class CatalogResponse(BaseModel):
    """The whole catalog, prices in whole ``currency`` units."""

    currency: Literal["KRW"]
    menus: list[AIMenu]
    styles: list[CatalogStyle]
