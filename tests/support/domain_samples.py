"""Domain objects for the domain tests: a small catalog shaped like the real one, sessions."""

from __future__ import annotations

from domain import Catalog, ConversationSession, Ingredient, Menu, OrderDraft, Stage, Style

SIMPLE = Style("simple", "심플", "Simple", 0)
GRAND = Style("grand", "그랜드", "Grand", 5_000)
DELUXE = Style("deluxe", "디럭스", "Deluxe", 10_000)


def build_catalog() -> Catalog:
    """French and English dinners in every style; Champagne Feast not in ``simple``."""
    return Catalog(
        menus=(
            Menu(
                code="french",
                name_ko="프렌치 디너",
                name_en="French Dinner",
                description_ko="커피, 와인, 샐러드와 스테이크",
                description_en="Coffee, wine, salad and steak",
                price=48_000,
                ingredients=(
                    Ingredient("coffee", "커피", "coffee", 1, 3_000),
                    Ingredient("wine", "와인", "wine", 1, 8_000),
                    Ingredient("salad", "샐러드", "salad", 1, 5_000),
                    Ingredient("steak", "스테이크", "steak", 1, 15_000),
                ),
                styles=(SIMPLE, GRAND, DELUXE),
            ),
            Menu(
                code="english",
                name_ko="잉글리시 디너",
                name_en="English Dinner",
                description_ko="",
                description_en="Scrambled eggs, bacon, bread and steak",
                price=42_000,
                ingredients=(
                    Ingredient("eggs", "에그 스크램블", "scrambled eggs", 2, 1_000),
                    Ingredient("bacon", "베이컨", "bacon", 2, 2_000),
                    Ingredient("bread", "빵", "bread", 1, 1_500),
                    Ingredient("steak", "스테이크", "steak", 1, 15_000),
                ),
                styles=(SIMPLE, GRAND, DELUXE),
            ),
            Menu(
                code="champagne",
                name_ko="샴페인 축제 디너",
                name_en="Champagne Feast",
                description_ko="",
                description_en="Champagne for two, baguettes, coffee",
                price=90_000,
                ingredients=(
                    Ingredient("champagne", "샴페인", "champagne", 1, 40_000),
                    Ingredient("baguette", "바게트빵", "baguette", 4, 2_000),
                    Ingredient("coffee", "커피", "coffee", 1, 3_000),
                ),
                styles=(GRAND, DELUXE),
            ),
        )
    )


def session_at(
    stage: Stage,
    *,
    menu_code: str | None = "french",
    style_code: str | None = "grand",
    now: float = 1_000.0,
) -> ConversationSession:
    """A guest's session at ``stage`` with the given draft (not checked against the rules)."""
    session = ConversationSession.start("s-1", None, "guest-secret", now=now)
    session.order_state = OrderDraft(menu_code=menu_code, style_code=style_code)
    session.stage = stage
    return session
