"""The rules engine turn by turn: numbers, languages, changes, and what it may propose."""

from __future__ import annotations

from typing import Any

import pytest

from ai_worker.engines.llm_rules import RulesLLMEngine
from ai_worker.errors import EngineError
from ai_worker.llm import turn
from ai_worker.llm.understanding import understand
from tests.support.ai_catalog import CATALOG, llm_payload
from tests.support.rules_dialogue import ENGLISH_GRAND, ask_rules


@pytest.mark.parametrize(
    ("transcript", "quantity"),
    [
        ("two french dinners", 2),
        ("three French dinners", 3),
        ("French dinner for 4 people", 4),
        ("프렌치 디너 하나", 1),
        ("프렌치 디너 둘", 2),
        ("프렌치 디너 세 개", 3),
        ("프렌치 디너 네 개", 4),
        ("프렌치 디너 다섯 세트", 5),
        ("프렌치 디너 2인분", 2),
        ("프렌치 디너 삼인분", 3),
    ],
)
async def test_quantities_in_digits_and_words(transcript: str, quantity: int) -> None:
    result = await ask_rules(transcript, stage="menu_selection")
    assert result["order_state"]["menu_code"] == "french"
    assert result["quantity"] == quantity


async def test_yes_in_korean_is_not_the_number_four() -> None:
    state = {**ENGLISH_GRAND, "quantity": 2}
    result = await ask_rules("네", stage="confirmation", order_state=state)
    assert result["state_decision"] == "confirm"
    assert result["order_state"]["quantity"] == 2


@pytest.mark.parametrize(
    ("transcript", "customizations"),
    [
        ("more bacon", {"bacon": 3}),
        ("no bacon", {"bacon": 0}),
        ("less bacon", {"bacon": 1}),
        ("two extra eggs", {"eggs": 3}),
        ("3 slices of bread", {"bread": 3}),
        ("double the steak", {"steak": 2}),
        ("베이컨 빼 주세요", {"bacon": 0}),
        ("스테이크 추가", {"steak": 2}),
        ("빵 두 개 더", {"bread": 3}),
        ("베이컨 하나 빼 주세요", {"bacon": 1}),
        ("계란 세 개로 해 주세요", {"eggs": 3}),
    ],
)
async def test_ingredient_changes(transcript: str, customizations: dict[str, int]) -> None:
    result = await ask_rules(transcript, stage="customization", order_state=ENGLISH_GRAND)
    assert result["order_state"]["customizations"] == customizations
    assert result["customization_overrides"] == customizations
    assert result["state"] == "confirmation"


async def test_changes_build_on_the_current_ones() -> None:
    state = {**ENGLISH_GRAND, "customizations": {"bacon": 3}}
    result = await ask_rules("more bacon", stage="customization", order_state=state)
    assert result["order_state"]["customizations"] == {"bacon": 4}


async def test_an_ingredient_the_menu_lacks_is_not_proposed() -> None:
    result = await ask_rules("more wine", stage="customization", order_state=ENGLISH_GRAND)
    assert result["order_state"]["customizations"] == {}
    assert "doesn't come with wine" in result["response"]


async def test_more_champagne_is_an_ingredient_not_the_menu() -> None:
    state = {**ENGLISH_GRAND, "menu_code": "champagne_feast"}
    result = await ask_rules("more champagne please", stage="customization", order_state=state)
    assert result["order_state"]["menu_code"] == "champagne_feast"
    assert result["order_state"]["customizations"] == {"champagne": 2}


async def test_answers_in_the_language_it_was_spoken_to() -> None:
    english = await ask_rules("hello")
    korean = await ask_rules("안녕하세요")
    assert "Which dinner" in english["response"]
    assert "어떤 디너" in korean["response"]
    assert korean["analysis"]["language"] == "ko"


async def test_korean_particles_follow_the_word() -> None:
    champagne = await ask_rules("샴페인 축제 디너", stage="menu_selection")
    french = await ask_rules("프렌치 디너", stage="menu_selection")
    assert "샴페인 축제 디너는" in champagne["response"]
    assert "프렌치 디너는" in french["response"]
    lacking = await ask_rules(
        "베이컨 추가", stage="customization", order_state={**ENGLISH_GRAND, "menu_code": "french"}
    )
    assert "베이컨이 들어가지 않아요" in lacking["response"]


async def test_every_field_of_the_result_is_filled() -> None:
    result = await ask_rules("French dinner grand, two please", stage="menu_selection")
    assert set(result) >= {
        "intent", "confidence", "response", "analysis", "recommended_menu", "alternatives",
        "additional_questions", "order_state", "state", "state_decision", "menu_selection",
        "style_selection", "quantity", "customization_overrides",
    }  # fmt: skip
    assert (result["menu_selection"], result["style_selection"]) == (1, 1)
    assert result["additional_questions"] == [result["response"]]


async def test_recommendation_names_menus_from_the_catalog_with_alternatives() -> None:
    result = await ask_rules("what do you recommend?", stage="menu_selection")
    codes = {menu["code"] for menu in CATALOG["menus"]}
    assert result["intent"] == "recommendation"
    assert result["recommended_menu"]["code"] in codes
    assert len(result["alternatives"]) == 2
    assert {a["code"] for a in result["alternatives"]} <= codes


async def test_unknown_words_ask_again_without_moving() -> None:
    result = await ask_rules(
        "purple elephants",
        stage="style_selection",
        order_state={**ENGLISH_GRAND, "style_code": None},
    )
    assert result["intent"] == "unknown"
    assert result["state"] == "style_selection"
    assert result["state_decision"] == "stay"
    assert result["confidence"] < 0.5


async def test_the_engine_is_deterministic() -> None:
    payload = llm_payload("two french dinners and more wine", stage="menu_selection")
    assert await RulesLLMEngine().run(payload) == await RulesLLMEngine().run(payload)


async def test_a_payload_without_a_catalog_is_a_bad_request() -> None:
    with pytest.raises(EngineError) as caught:
        await RulesLLMEngine().run({"transcript": "hi", "context": {"stage": "greeting"}})
    assert caught.value.code == "bad_request"


FRENCH_GRAND = {"menu_code": "french", "style_code": "grand", "quantity": 1, "customizations": {}}
EARLIER = [
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Which dinner would you like?"},
]


@pytest.mark.parametrize(
    ("earlier", "asks_how_many"),
    [
        ([], True),
        ([{"role": "user", "content": "One French dinner"}], False),
        ([{"role": "user", "content": "Forty-two French dinners"}], True),
    ],
)
async def test_a_draft_of_one_asks_how_many_unless_a_number_was_said(
    earlier: list[dict[str, str]], asks_how_many: bool
) -> None:
    result = await ask_rules(
        "hmm", stage="customization", order_state=FRENCH_GRAND, messages=[*EARLIER, *earlier]
    )
    assert ("How many French Dinner" in result["response"]) is asks_how_many


async def test_a_quantity_in_the_draft_is_not_looked_for_in_the_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []

    def counting(text: str, *args: Any) -> Any:
        read.append(text)
        return understand(text, *args)

    monkeypatch.setattr(turn, "understand", counting)
    result = await ask_rules(
        "hmm",
        stage="customization",
        order_state={**FRENCH_GRAND, "quantity": 3},
        messages=EARLIER * 20,
    )
    assert "How many" not in result["response"]
    assert read == []
