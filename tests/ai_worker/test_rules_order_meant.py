"""The rules engine never places an order the customer didn't mean.

A number it can't read exactly (a vague "a few", a dozen over the limit) is
asked, never taken as 1; a quantity never said is asked; a conversation keeps
one language, and a Korean word in an English sentence is understood with it.
"""

from __future__ import annotations

import pytest

from tests.support.rules_dialogue import converse


def _said(talk_replies: list[dict[str, object]]) -> list[str]:
    return [str(reply["response"]) for reply in talk_replies]


@pytest.mark.parametrize(
    ("sentence", "quantity"),
    [
        ("I need a dozen French dinners in simple style", 12),
        ("half a dozen English dinners, grand style", 6),
        ("one dozen Valentine dinners, deluxe", 12),
        ("a couple of French dinners, grand style", 2),
        ("프렌치 디너 한 다스 심플로 주세요", 12),
        ("잉글리시 디너 반 다스 그랜드로 주세요", 6),
        ("French 디너 two please, simple style", 2),
        ("French dinners, three please, grand style", 3),
        ("프렌치 디너 three please, 심플로", 3),
    ],
)
async def test_a_number_phrase_is_the_quantity_placed(sentence: str, quantity: int) -> None:
    talk = await converse([sentence, "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == quantity


@pytest.mark.parametrize(
    ("sentence", "asked"),
    [
        ("Two dozen Valentine dinners, grand style", "1 to 20 dinners"),
        ("a hundred French dinners, simple", "1 to 20 dinners"),
        ("발렌타인 디너 두 다스 그랜드로 주세요", "1개부터 20개까지"),
        ("a few French dinners, grand", "How many French Dinner"),
        ("several English dinners in deluxe style", "How many English Dinner"),
        ("프렌치 디너 두어 개 그랜드로 주세요", "몇 개"),
        ("잉글리시 디너 몇 개 심플로요", "몇 개"),
    ],
)
async def test_a_number_not_read_exactly_is_asked_and_a_yes_does_not_answer_it(
    sentence: str, asked: str
) -> None:
    talk = await converse([sentence, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert asked in talk.replies[0]["response"]
    assert talk.session.stage == "customization"

    talk = await converse([sentence, "four", "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == 4


@pytest.mark.parametrize(
    "lines", [["French dinner, grand style"], ["프렌치 디너 그랜드로 주세요"], ["french", "grand"]]
)
async def test_a_quantity_never_said_is_asked_before_the_order_is_read_back(
    lines: list[str],
) -> None:
    talk = await converse(lines)
    assert talk.session.stage == "customization"
    last = talk.replies[-1]["response"]
    assert "How many" in last or "몇 개" in last

    talk = await converse([*lines, "three", "yes"])
    assert talk.placed
    assert talk.session.order_state.quantity == 3


@pytest.mark.parametrize(
    ("lines", "english"),
    [
        (["French 디너 two please, simple style", "yes"], True),
        (["프렌치 디너 두 개 그랜드로 주세요", "ok"], False),
        (["Hello", "French dinner", "네"], True),
    ],
)
async def test_a_conversation_keeps_the_language_used_most(lines: list[str], english: bool) -> None:
    talk = await converse(lines)
    for reply in talk.replies:
        hangul = any("가" <= c <= "힣" for c in str(reply["response"]))
        assert hangul != english, _said(talk.replies)


@pytest.mark.parametrize(
    ("lines", "order"),
    [
        (["one frnech dinner, deluxe style please", "yes", "yes"], ("french", "deluxe", 1, {})),
        (
            ["two frnech dinners, grand, extra wine", "yes", "yes"],
            ("french", "grand", 2, {"wine": 2}),
        ),
        (["프랜치 디너 두 개 디럭스로 주세요", "네", "네"], ("french", "deluxe", 2, {})),
        (["three Valentine dinners, brand style", "yes", "yes"], ("valentine", "grand", 3, {})),
    ],
)
async def test_what_was_said_with_a_name_asked_back_is_kept_for_the_answer(
    lines: list[str], order: tuple[str, str, int, dict[str, int]]
) -> None:
    asked = await converse(lines[:1])
    assert asked.replies[0]["response"].endswith("?")
    assert "choose a dinner" not in asked.replies[0]["response"]
    assert "디너를 골라" not in asked.replies[0]["response"]

    talk = await converse(lines)
    assert talk.placed, _said(talk.replies)
    draft = talk.session.order_state
    assert (draft.menu_code, draft.style_code, draft.quantity, draft.customizations) == order
