"""The test catalog: the four dinners of the Mr. Daebak demo, as ``context.catalog``.

Only the French Dinner has a Korean description: a Korean reply about another
menu has none to give.
"""

from __future__ import annotations

from typing import Any

from bus.ai_messages import AICatalog
from domain.catalog import Catalog


def _ingredient(
    code: str, name_ko: str, name_en: str, quantity: int, unit_price: int
) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": name_ko,
        "name_en": name_en,
        "quantity": quantity,
        "unit_price": unit_price,
    }


SIMPLE = {"code": "simple", "name_ko": "심플", "name_en": "Simple", "price_delta": 0}
GRAND = {"code": "grand", "name_ko": "그랜드", "name_en": "Grand", "price_delta": 10000}
DELUXE = {"code": "deluxe", "name_ko": "디럭스", "name_en": "Deluxe", "price_delta": 20000}

WINE = _ingredient("wine", "와인", "wine", 1, 8000)
STEAK = _ingredient("steak", "스테이크", "steak", 1, 15000)

CATALOG: dict[str, Any] = {
    "currency": "KRW",
    "menus": [
        {
            "code": "valentine",
            "name_ko": "발렌타인 디너",
            "name_en": "Valentine Dinner",
            "description_en": "Wine and steak on a heart-shaped plate with cupid decorations",
            "price": 52000,
            "ingredients": [WINE, STEAK],
            "styles": [SIMPLE, GRAND, DELUXE],
        },
        {
            "code": "french",
            "name_ko": "프렌치 디너",
            "name_en": "French Dinner",
            "description_en": "Coffee, wine, salad and steak",
            "description_ko": "커피, 와인, 샐러드와 스테이크",
            "price": 48000,
            "ingredients": [
                _ingredient("coffee", "커피", "coffee", 1, 3000),
                WINE,
                _ingredient("salad", "샐러드", "salad", 1, 6000),
                STEAK,
            ],
            "styles": [SIMPLE, GRAND, DELUXE],
        },
        {
            "code": "english",
            "name_ko": "잉글리시 디너",
            "name_en": "English Dinner",
            "description_en": "Scrambled eggs, bacon, bread and steak",
            "price": 45000,
            "ingredients": [
                _ingredient("eggs", "에그 스크램블", "scrambled eggs", 1, 4000),
                _ingredient("bacon", "베이컨", "bacon", 2, 3000),
                _ingredient("bread", "빵", "bread", 1, 2000),
                STEAK,
            ],
            "styles": [SIMPLE, GRAND, DELUXE],
        },
        {
            "code": "champagne_feast",
            "name_ko": "샴페인 축제 디너",
            "name_en": "Champagne Feast Dinner",
            "description_en": "For two: champagne, four baguettes, a pot of coffee, wine and steak",
            "price": 120000,
            "ingredients": [
                _ingredient("champagne", "샴페인", "champagne", 1, 40000),
                _ingredient("baguette", "바게트빵", "baguette", 4, 2500),
                _ingredient("coffee", "커피", "coffee pot", 1, 10000),
                WINE,
                STEAK,
            ],
            "styles": [GRAND, DELUXE],
        },
    ],
}


def as_catalog(context: dict[str, Any]) -> Catalog:
    """The domain's catalog of a ``context.catalog`` object (or ``GET /api/menus`` body)."""
    return AICatalog.model_validate(context).to_catalog()


MEMBER_HISTORY: dict[str, Any] = {
    "favorite_menus": ["french"],
    "preferred_style": "grand",
    "average_order_amount": 58000,
    "recent_orders": [
        {
            "order_id": "o-41",
            "items": [
                {
                    "menu_code": "french",
                    "style_code": "grand",
                    "quantity": 2,
                    "customizations": {"wine": 2},
                }
            ],
            "total": 132000,
            "created_at": "2025-11-01T19:00:00+09:00",
        }
    ],
}

VALENTINE_EVENT: dict[str, Any] = {
    "id": "ev-1",
    "title_ko": "발렌타인 위크",
    "title_en": "Valentine Week",
    "description_ko": "발렌타인 디너 15% 할인",
    "description_en": "15% off the Valentine dinner",
    "discount_percent": 15,
    "menu_codes": ["valentine"],
    "ends_at": "2026-02-15T00:00:00+09:00",
}


def llm_payload(
    transcript: str,
    *,
    stage: str = "greeting",
    order_state: dict[str, Any] | None = None,
    messages: list[dict[str, str]] | None = None,
    history: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """An ``llm`` request payload over :data:`CATALOG`."""
    return {
        "transcript": transcript,
        "user_id": user_id,
        "session_id": "s-1",
        "context": {
            "messages": messages or [],
            "stage": stage,
            "order_state": order_state
            or {"menu_code": None, "style_code": None, "quantity": 1, "customizations": {}},
            "context_summary": "",
            "order_state_summary": "",
            "order_history": history or {},
            "active_events": events or [],
            "catalog": CATALOG,
            "language": None,
        },
    }
