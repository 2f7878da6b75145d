"""A value the domain refuses becomes a question in the reply, never a 5xx.

Whichever AI engine proposes it (here a scripted AI Server), a quantity out of
range, a style the menu doesn't have, an unknown code or too many of an
ingredient leave the order as it was, and the turn answers 200 with a
question saying what is allowed, in the conversation's language.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from quart.testing import QuartClient

from quart_app.testing import ScriptedAIServer
from tests.support.voice_api import llm_answer, say

FRENCH_GRAND = {"menu_code": "french", "style_code": "grand", "quantity": 2}
FEAST_GRAND = {"menu_code": "champagne_feast", "style_code": "grand", "quantity": 2}


async def _refused(
    client: QuartClient,
    ai_server: ScriptedAIServer,
    start: dict[str, Any],
    words: str,
    **proposal: Any,
) -> tuple[int, dict[str, Any]]:
    ai_server.llm.queue(llm_answer("Sure.", order_state=start), llm_answer("Sure.", **proposal))
    _, first = await say(client, words)
    return await say(client, words, first["session_id"])


@pytest.mark.parametrize(
    ("start", "proposal", "asks"),
    [
        pytest.param(FRENCH_GRAND, {"quantity": 42}, "1 to 20 dinners", id="quantity-42"),
        pytest.param(FRENCH_GRAND, {"quantity": 0}, "1 to 20 dinners", id="quantity-0"),
        pytest.param(
            FRENCH_GRAND, {"order_state": {"quantity": -3}}, "1 to 20 dinners", id="state-qty"
        ),
        pytest.param(
            FEAST_GRAND,
            {"order_state": {"style_code": "simple"}},
            "Champagne Feast Dinner: Grand or Deluxe?",
            id="style-not-offered",
        ),
        pytest.param(
            FRENCH_GRAND,
            {"order_state": {"menu_code": "sushi"}},
            "Which dinner would you like",
            id="unknown-menu",
        ),
        pytest.param(FRENCH_GRAND, {"style_selection": 9}, "Simple or Grand", id="style-position"),
        pytest.param(
            FRENCH_GRAND, {"style_selection": 1001}, "Simple or Grand", id="style-position-1001"
        ),
        pytest.param(
            FRENCH_GRAND, {"menu_selection": -1}, "Which dinner would you like", id="menu-at-1"
        ),
        pytest.param(
            FRENCH_GRAND,
            {"customization_overrides": {"wine": 99}},
            "0 to 10 of each",
            id="too-much-wine",
        ),
    ],
)
async def test_a_refused_value_is_a_question_not_a_5xx(
    client: QuartClient,
    ai_server: ScriptedAIServer,
    start: dict[str, Any],
    proposal: dict[str, Any],
    asks: str,
) -> None:
    status, body = await _refused(client, ai_server, start, "that one please", **proposal)

    assert status == 200, body
    assert asks in body["response"]
    assert any(asks in question for question in body["additional_questions"])
    order = body["order_state"]
    assert (order["menu_code"], order["style_code"], order["quantity"]) == (
        start["menu_code"],
        start["style_code"],
        start["quantity"],
    )
    assert order["customizations"] == {}


async def test_the_question_is_in_the_conversations_language(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    status, body = await _refused(client, ai_server, FRENCH_GRAND, "마흔두 개 주세요", quantity=42)

    assert status == 200, body
    assert "1개부터 20개까지" in body["response"]
    assert "dinners" not in body["response"]


async def test_mechanics_the_customer_cannot_answer_ask_nothing(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    # The AI's stage move is refused (no menu yet), but that is not the customer's to fix.
    ai_server.llm.queue(llm_answer("Hello!", state="confirmation"))

    status, body = await say(client, "hello")

    assert (status, body["response"], body["additional_questions"]) == (200, "Hello!", [])


@pytest.mark.parametrize(
    ("words", "name", "hangul"),
    [("what do you recommend?", "French Dinner", False), ("추천해 주세요", "프렌치 디너", True)],
)
async def test_a_suggestion_is_named_in_the_conversations_language(
    client: QuartClient, ai_server: ScriptedAIServer, words: str, name: str, hangul: bool
) -> None:
    suggestion = {"code": "french", "name": "Whatever", "price": 1, "reason": "chef's pick"}
    ai_server.llm.queue(llm_answer("Try this.", recommended_menu=suggestion))

    status, body = await say(client, words)

    assert status == 200, body
    assert body["recommended_menu"]["name"] == name
    assert bool(re.search("[가-힣]", body["recommended_menu"]["description"])) == hangul


@pytest.mark.parametrize(
    ("words", "summary"),
    [
        ("two french dinners, grand", "French Dinner, Grand, x2"),
        ("프렌치 디너 두 개", "프렌치 디너, 그랜드, 2개"),
    ],
)
async def test_the_order_summary_is_in_the_conversations_language(
    client: QuartClient, ai_server: ScriptedAIServer, words: str, summary: str
) -> None:
    ai_server.llm.queue(
        llm_answer("OK.", order_state={"menu_code": "french", "style_code": "grand", "quantity": 2})
    )

    status, body = await say(client, words)

    assert status == 200, body
    assert body["order_state"]["summary"] == summary


async def test_a_korean_suggestion_has_no_english_description_to_stand_in(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    suggestion = {"code": "valentine", "name": "Whatever", "price": 1, "reason": "지금 인기예요"}
    ai_server.llm.queue(llm_answer("이건 어떠세요?", recommended_menu=suggestion))

    status, body = await say(client, "추천해 주세요")

    assert status == 200, body
    assert body["recommended_menu"]["name"] == "발렌타인 디너"
    assert body["recommended_menu"]["description"] == ""  # the catalog has no Korean one
