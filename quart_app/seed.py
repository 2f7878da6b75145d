"""The demo catalog, promotions and users, written once into an empty database.

Prices are whole KRW. Codes match what the reference AI worker understands
(``ai_worker/llm/lexicon.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import Role
from quart_app.models import Ingredient, Menu, MenuIngredient, Promotion, Style, User

INGREDIENTS: tuple[tuple[str, str, str, int], ...] = (
    # code, Korean name, English name, price of one extra unit
    ("steak", "스테이크", "steak", 15_000),
    ("wine", "와인", "wine", 8_000),
    ("champagne", "샴페인", "champagne", 40_000),
    ("salad", "샐러드", "salad", 5_000),
    ("bread", "빵", "bread", 1_500),
    ("baguette", "바게트빵", "baguette", 2_000),
    ("coffee", "커피", "coffee", 3_000),
    ("eggs", "에그 스크램블", "scrambled eggs", 1_000),
    ("bacon", "베이컨", "bacon", 2_000),
    ("chocolate", "하트 초콜릿", "heart chocolate", 4_000),
    ("cake", "케이크", "cake", 25_000),
    ("candle", "초", "candle", 500),
)

STYLES: tuple[tuple[str, str, str, int, str, str], ...] = (
    # code, Korean name, English name, price change, Korean and English description
    ("simple", "심플", "Simple", 0, "플라스틱 접시와 종이 냅킨", "Plastic plates, paper napkins"),
    (
        "grand",
        "그랜드",
        "Grand",
        5_000,
        "도자기 접시, 면 냅킨, 나무 쟁반",
        "Ceramic plates, cotton napkins, a wooden tray",
    ),
    (
        "deluxe",
        "디럭스",
        "Deluxe",
        10_000,
        "꽃병, 본차이나 접시, 린넨 냅킨, 나무 쟁반",
        "A small vase of flowers, porcelain plates, linen napkins, a wooden tray",
    ),
)

ALL_STYLES = tuple(code for code, *_ in STYLES)

MENUS: tuple[tuple[str, str, str, str, str, int, dict[str, int], tuple[str, ...]], ...] = (
    # code, names, descriptions, price, default ingredients per dinner, allowed styles
    (
        "valentine",
        "발렌타인 디너",
        "Valentine Dinner",
        "하트 모양 접시와 큐피드 냅킨에 담긴 와인과 스테이크",
        "Wine and steak on a heart-shaped plate with a cupid napkin",
        55_000,
        {"wine": 1, "steak": 1, "chocolate": 1},
        ALL_STYLES,
    ),
    (
        "french",
        "프렌치 디너",
        "French Dinner",
        "커피, 와인, 샐러드와 스테이크",
        "Coffee, wine, salad and steak",
        48_000,
        {"coffee": 1, "wine": 1, "salad": 1, "steak": 1},
        ALL_STYLES,
    ),
    (
        "english",
        "잉글리시 디너",
        "English Dinner",
        "에그 스크램블, 베이컨, 빵과 스테이크",
        "Scrambled eggs, bacon, bread and steak",
        42_000,
        {"eggs": 2, "bacon": 2, "bread": 1, "steak": 1},
        ALL_STYLES,
    ),
    (
        "champagne_feast",
        "샴페인 축제 디너",
        "Champagne Feast Dinner",
        "2인용: 샴페인 한 병, 바게트빵 4개, 커피 한 포트, 와인과 스테이크",
        "For two: a bottle of champagne, four baguettes, a pot of coffee, wine and steak",
        120_000,
        {"champagne": 1, "baguette": 4, "coffee": 2, "wine": 1, "steak": 2},
        ("grand", "deluxe"),  # a feast is never served on plastic
    ),
    (
        "custom_cake",
        "커스텀 케이크",
        "Custom Cake",
        "원하는 그림으로 장식하는 케이크",
        "A cake decorated with the picture you choose",
        35_000,
        {"cake": 1, "candle": 5},
        ALL_STYLES,
    ),
)

USERS: tuple[tuple[str, str, Role], ...] = (
    ("customer-1", "김민지", Role.CUSTOMER),
    ("customer-2", "Emily Park", Role.CUSTOMER),
    ("customer-3", "이준호", Role.CUSTOMER),
    ("cook-1", "박서준 셰프", Role.COOK),
    ("cook-2", "Chef Antoine", Role.COOK),
    ("delivery-1", "최배달", Role.DELIVERY),
    ("delivery-2", "정하늘", Role.DELIVERY),
    ("manager-1", "한지민", Role.MANAGER),
)

PROMOTIONS: tuple[tuple[str, str, str, str, int, tuple[str, ...], int, int], ...] = (
    # Korean and English title, Korean and English description, discount %, menus (none:
    # all), start and end in days from the seeding day
    (
        "발렌타인 위크",
        "Valentine Week",
        "발렌타인 디너 10% 할인",
        "10% off the Valentine Dinner",
        10,
        ("valentine",),
        -3,
        60,
    ),
    (
        "샴페인 주말",
        "Champagne Weekend",
        "샴페인 축제 디너 15% 할인",
        "15% off the Champagne Feast Dinner",
        15,
        ("champagne_feast",),
        -1,
        30,
    ),
    (
        "신년 특별전",
        "New Year Special",
        "모든 디너 5% 할인",
        "5% off every dinner",
        5,
        (),
        -60,
        -30,
    ),
    (
        "프렌치 위크",
        "French Week",
        "프렌치 디너 20% 할인",
        "20% off the French Dinner",
        20,
        ("french",),
        -20,
        -10,
    ),
)


async def seed_if_empty(session: AsyncSession, now: datetime, *, demo_users: bool) -> bool:
    """Write the demo data unless a menu exists; ``True`` if it wrote them.

    The demo users only with ``demo_users`` (development): in production the
    staff are the platform's, and a seeded manager would be assignable. The
    caller commits (and serialises concurrent starts).
    """
    if await session.scalar(select(func.count()).select_from(Menu)):
        return False
    ingredients = {
        code: Ingredient(code=code, name_ko=ko, name_en=en, unit_price=price)
        for code, ko, en, price in INGREDIENTS
    }
    styles = {
        code: Style(
            code=code,
            name_ko=ko,
            name_en=en,
            price_delta=delta,
            description_ko=about_ko,
            description_en=about_en,
            position=position,
        )
        for position, (code, ko, en, delta, about_ko, about_en) in enumerate(STYLES)
    }
    menus = {}
    for position, (code, ko, en, about_ko, about_en, price, contents, allowed) in enumerate(MENUS):
        menus[code] = Menu(
            code=code,
            name_ko=ko,
            name_en=en,
            description_ko=about_ko,
            description_en=about_en,
            price=price,
            position=position,
            ingredients=[
                MenuIngredient(ingredient=ingredients[item], quantity=units, position=index)
                for index, (item, units) in enumerate(contents.items())
            ],
            styles=[styles[style] for style in allowed],
        )
    session.add_all(menus.values())
    if demo_users:
        session.add_all(
            User(id=uid, display_name=name, role=role.value) for uid, name, role in USERS
        )
    session.add_all(
        Promotion(
            title_ko=title_ko,
            title_en=title_en,
            description_ko=about_ko,
            description_en=about_en,
            discount_percent=percent,
            menus=[menus[code] for code in codes],
            starts_at=now + timedelta(days=start),
            ends_at=now + timedelta(days=end),
        )
        for title_ko, title_en, about_ko, about_en, percent, codes, start, end in PROMOTIONS
    )
    await session.flush()
    return True
