"""The rules engine turn by turn: numbers, languages, changes, and what it may propose.

Besides plain orders, what spoken and typed orders are known to throw at it:
numbers and counters in both languages, number homophones from speech
recognition, near names asked back, the quantity step, agreement without
"that's all", corrections, refusals as questions, one language per turn.
"""

from __future__ import annotations

from typing import Any

import pytest

import domain.catalog
from ai_worker.engines.llm_rules import RulesLLMEngine
from ai_worker.errors import EngineError
from ai_worker.llm import turn
from ai_worker.llm.understanding import understand
from domain.language import DEFAULT_LANGUAGE
from domain.stages import Stage, previous_stage
from tests.support.ai_catalog import CATALOG, VALENTINE_EVENT, as_catalog, llm_payload
from tests.support.rules_dialogue import ENGLISH_GRAND, ask_rules, converse

FRENCH_GRAND = {**ENGLISH_GRAND, "menu_code": "french"}
_EN_WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
_EN_WORDS += "fifteen sixteen seventeen eighteen nineteen twenty"


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


async def test_words_of_no_language_are_answered_in_the_default_one() -> None:
    neither = await ask_rules("2")
    assert neither["analysis"]["language"] == DEFAULT_LANGUAGE
    assert {"ko": "어떤 디너", "en": "Which dinner"}[DEFAULT_LANGUAGE] in neither["response"]


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


async def test_a_number_before_a_long_menu_name_is_its_quantity() -> None:
    result = await ask_rules("three Champagne Feast Dinner, grand style", stage="menu_selection")

    order = result["order_state"]
    assert (order["menu_code"], order["style_code"], order["quantity"]) == (
        "champagne_feast",
        "grand",
        3,
    )
    assert order["customizations"] == {}


@pytest.mark.parametrize(("number", "word"), list(enumerate(_EN_WORDS.split(), start=1)))
async def test_english_number_words_one_to_twenty(number: int, word: str) -> None:
    result = await ask_rules(f"{word} French dinners, grand style", stage="menu_selection")
    assert result["quantity"] == number


@pytest.mark.parametrize(
    ("transcript", "quantity"),
    [
        ("a couple of English dinners", 2),
        # "to", "free", "for" right before a menu are asked: test_rules_order_meant.py
        ("I'll go for the English dinner", 1),
        ("I'd like to order the English dinner", 1),
    ],
)
async def test_couples_and_words_like_numbers_before_a_menu(transcript: str, quantity: int) -> None:
    result = await ask_rules(transcript, stage="menu_selection")
    assert result["order_state"]["menu_code"] is not None
    assert result["quantity"] == quantity


@pytest.mark.parametrize(
    ("transcript", "quantity"),
    [
        ("프렌치 디너 두 개", 2),
        ("프렌치 디너 열두 개", 12),
        ("프렌치 디너 스무 개", 20),
        ("프렌치 디너 세 세트", 3),
        ("프렌치 디너 다섯 명이요", 5),
        ("프렌치 디너 이 인분", 2),
        ("프렌치 디너 삼 인분", 3),
        ("프렌치 디너 십 인분", 10),
        ("프렌치 디너 이 세트로 할게요", 1),
    ],
)
async def test_korean_native_and_sino_numerals_with_counters(
    transcript: str, quantity: int
) -> None:
    result = await ask_rules(transcript, stage="menu_selection")
    assert result["quantity"] == quantity


async def test_without_a_quantity_the_kiosk_asks_how_many() -> None:
    talk = await converse(["French dinner", "grand"])
    assert talk.session.stage == "customization"
    assert "How many French Dinner" in talk.replies[-1]["response"]


@pytest.mark.parametrize(
    ("lines", "quantity"),
    [
        (["French dinner", "grand", "just one", "yes"], 1),
        (["프렌치 디너", "그랜드", "두 개요", "네"], 2),
        # A yes or a change is no answer to how many: asked again, then the number.
        (["French dinner", "grand", "yes", "one", "yes"], 1),
        (["프렌치 디너", "그랜드", "네", "세 개요", "네"], 3),
        # The change not taken is asked for once the number is said.
        (["French dinner", "grand", "more wine", "two", "no", "yes"], 2),
    ],
)
async def test_customization_takes_an_answer_or_a_yes_as_agreement(
    lines: list[str], quantity: int
) -> None:
    talk = await converse(lines)
    assert talk.placed, [r["response"] for r in talk.replies]
    assert talk.session.order_state.quantity == quantity


async def test_a_yes_to_the_menu_list_selects_nothing() -> None:
    talk = await converse(["hello", "yes"])
    assert talk.session.order_state.menu_code is None


@pytest.mark.parametrize(
    ("said", "asked", "code"),
    [
        ("French dinner, brand style", "Did you mean Grand style?", "grand"),
        ("the frensh dinner", "Did you mean the French Dinner?", "french"),
    ],
)
async def test_a_near_name_is_asked_back_then_taken_on_yes(
    said: str, asked: str, code: str
) -> None:
    talk = await converse([said])
    order = talk.session.order_state
    assert talk.replies[-1]["response"] == asked
    assert code not in (order.menu_code, order.style_code)

    talk = await converse([said, "yes"])
    order = talk.session.order_state
    assert code in (order.menu_code, order.style_code)


@pytest.mark.parametrize("accept", ["that's good", "that is good", "that was good", "sounds great"])
async def test_a_good_to_a_recommendation_accepts_it(accept: str) -> None:
    # tiny.en hears espeak's "sounds good" as "that was good" or "that is good".
    talk = await converse(["what do you recommend?", accept])
    recommended = talk.replies[0]["recommended_menu"]["code"]
    assert talk.session.order_state.menu_code == recommended


async def test_unknown_words_select_no_menu() -> None:
    talk = await converse(["the sushi platter, simple style please"])
    assert talk.session.order_state.menu_code is None


@pytest.mark.parametrize(
    ("correction", "field", "value"),
    [
        ("actually make it three", "quantity", 3),
        ("sorry, I meant 4", "quantity", 4),
        ("아니 그랜드로", "style_code", "grand"),
        ("actually, deluxe instead", "style_code", "deluxe"),
        ("no wait, the English dinner instead", "menu_code", "english"),
    ],
)
async def test_corrections_at_confirmation(correction: str, field: str, value: Any) -> None:
    talk = await converse(["two French dinners, simple style", correction])
    assert talk.session.stage == "confirmation"
    assert getattr(talk.session.order_state, field) == value
    talk = await converse(["two French dinners, simple style", correction, "yes"])
    assert talk.placed


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("42 dinners", "1 to 20 dinners"),
        ("마흔두 개요", "1개부터 20개까지"),
        ("0 dinners", "1 to 20 dinners"),
    ],
)
async def test_a_quantity_out_of_range_is_refused_with_what_is_allowed(
    said: str, asked: str
) -> None:
    result = await ask_rules(
        said, stage="confirmation", order_state={**FRENCH_GRAND, "quantity": 2}
    )
    assert asked in result["response"]
    assert result["quantity"] == 2


@pytest.mark.parametrize(("answer", "quantity"), [("Five, three, please.", 3), ("two three", 3)])
async def test_a_number_said_again_at_once_corrects_it(answer: str, quantity: int) -> None:
    # "Fine, three" comes back from tiny.en as "Five, three": the customer meant three.
    result = await ask_rules(answer, stage="customization", order_state=FRENCH_GRAND)
    assert result["quantity"] == quantity


@pytest.mark.parametrize(("answer", "quantity"), [("free", 3), ("Too, please.", 2), ("for", 4)])
async def test_a_homophone_alone_answers_how_many(answer: str, quantity: int) -> None:
    talk = await converse(["French dinner", "grand", answer, "yes"])
    assert talk.placed, [r["response"] for r in talk.replies]
    assert talk.session.order_state.quantity == quantity


@pytest.mark.parametrize(
    "lines",
    [
        ["42 French dinners, grand style", "yes"],
        ["French dinner", "grand", "42", "yes"],
        ["프렌치 디너 그랜드로 마흔두 개", "네"],
    ],
)
async def test_a_refused_quantity_is_asked_again_not_placed_as_one(lines: list[str]) -> None:
    refused = await converse(lines[:-1])
    asked = refused.replies[-1]["response"]
    assert refused.session.stage == "customization"
    assert "How many" in asked or "몇 개" in asked

    assert not (await converse(lines)).placed


@pytest.mark.parametrize(
    ("asked", "description"),
    [
        ("프렌치 디너 구성이 어떻게 돼요?", "커피, 와인, 샐러드와 스테이크"),
        ("what comes with the French dinner?", "Coffee, wine, salad and steak"),
    ],
)
async def test_a_menu_is_described_in_the_conversations_language(
    asked: str, description: str
) -> None:
    result = await ask_rules(asked)
    assert description in result["response"]


async def test_an_english_conversation_names_the_event_in_english() -> None:
    event = {**VALENTINE_EVENT, "title_ko": "발렌타인 위크", "title_en": "Valentine Week"}
    result = await ask_rules("what do you recommend?", events=[event])
    assert "Valentine Week" in result["response"]
    assert "Valentine Week" in result["recommended_menu"]["reason"]
    assert not any("가" <= c <= "힣" for c in result["response"])
    assert result["recommended_menu"]["name"] == "Valentine Dinner"


async def test_the_quantities_it_takes_are_the_ones_the_domain_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The range is the domain's, asked at each turn: narrowed there, it narrows here."""
    monkeypatch.setattr(domain.catalog, "MAX_QUANTITY", 5)
    taken = []
    for said in range(8):
        result = await ask_rules(
            f"{said} dinners", stage="confirmation", order_state={**FRENCH_GRAND, "quantity": 2}
        )
        taken.append(result["quantity"])
    assert taken == [2, 1, 2, 3, 4, 5, 2, 2]


@pytest.mark.parametrize("stage", [stage for stage in Stage if stage is not Stage.COMPLETED])
async def test_going_back_proposes_the_domains_previous_stage(stage: Stage) -> None:
    result = await ask_rules("go back", stage=stage.value, order_state=FRENCH_GRAND)
    assert result["state"] == (previous_stage(stage) or stage).value


async def test_a_style_is_taken_for_a_menu_exactly_when_the_domain_allows_it() -> None:
    catalog = as_catalog(CATALOG)
    for menu in catalog.menus:
        for style in catalog.all_styles():
            draft = {**FRENCH_GRAND, "menu_code": menu.code, "style_code": None}
            result = await ask_rules(
                f"{style.name_en} style", stage="style_selection", order_state=draft
            )
            taken = result["order_state"]["style_code"] == style.code
            assert taken == bool(menu.allowed_style(style.code)), (menu.code, style.code)
