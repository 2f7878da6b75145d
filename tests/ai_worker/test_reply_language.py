"""A Korean conversation gets Korean text only, whatever the catalog lacks.

Every menu, style and ingredient has a Korean name (``name_ko`` is required),
so a Korean reply has no Latin letters at all: no English description stands in
for a missing Korean one, and no English promotion title for a missing Korean
title. The test catalog gives only the French Dinner a Korean description.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.ai_catalog import CATALOG, MEMBER_HISTORY, VALENTINE_EVENT
from tests.support.rules_dialogue import ENGLISH_GRAND, ask_rules, converse

LATIN = re.compile("[A-Za-z]")
ENGLISH_ONLY_EVENT = {**VALENTINE_EVENT, "title_ko": "", "description_ko": ""}
"""A promotion with no Korean title or description."""


def korean_texts(result: dict[str, Any]) -> list[str]:
    """Every text of an ``llm`` result the customer may see."""
    suggestions = [result["recommended_menu"] or {}, *result["alternatives"]]
    fields = ("name", "description", "reason")
    return [
        result["response"],
        *result["additional_questions"],
        *(str(item.get(field, "")) for item in suggestions for field in fields),
    ]


def assert_korean_only(result: dict[str, Any]) -> None:
    for text in korean_texts(result):
        assert not LATIN.search(text), text


@pytest.mark.parametrize(
    "menu",
    [menu["name_ko"] for menu in CATALOG["menus"]],
    ids=[m["code"] for m in CATALOG["menus"]],
)
async def test_a_menu_without_a_korean_description_is_described_in_korean(menu: str) -> None:
    result = await ask_rules(f"{menu} 구성이 어떻게 돼요?")
    assert menu in result["response"]
    assert_korean_only(result)


async def test_a_promotion_without_a_korean_title_is_not_named_in_english() -> None:
    result = await ask_rules("추천해 주세요", events=[ENGLISH_ONLY_EVENT])
    assert result["recommended_menu"]["code"] == "valentine"
    assert_korean_only(result)


async def test_an_english_conversation_still_names_the_promotion() -> None:
    result = await ask_rules("what do you recommend?", events=[ENGLISH_ONLY_EVENT])
    assert "Valentine Week" in result["response"]


@pytest.mark.parametrize(
    ("said", "context"),
    [
        ("안녕하세요", {}),
        ("2", {}),
        ("추천해 주세요", {"history": MEMBER_HISTORY, "user_id": "42"}),
        ("발렌타인 디너 42개", {"stage": "menu_selection"}),
        ("샴페인 축제 디너 심플로", {"stage": "menu_selection"}),
        ("와인 추가", {"stage": "customization", "order_state": ENGLISH_GRAND}),
        ("샴페인 추가", {"stage": "customization", "order_state": ENGLISH_GRAND}),
        ("네", {"stage": "confirmation", "order_state": ENGLISH_GRAND}),
        ("뭐라고요", {"stage": "style_selection", "order_state": ENGLISH_GRAND}),
    ],
)
async def test_every_korean_turn_answers_in_korean_only(said: str, context: dict[str, Any]) -> None:
    assert_korean_only(await ask_rules(said, **context))


async def test_a_korean_conversation_from_greeting_to_order_is_korean_only() -> None:
    talk = await converse(
        [
            "안녕하세요",
            "무슨 메뉴가 있어요?",
            "발렌타인 디너는 뭐가 나와요?",
            "발렌타인 디너 두 개",
            "그랜드로 해 주세요",
            "와인 하나 더",
            "네 주문할게요",
        ],
        events=[ENGLISH_ONLY_EVENT],
    )
    assert talk.placed
    for result in talk.replies:
        assert_korean_only(result)
