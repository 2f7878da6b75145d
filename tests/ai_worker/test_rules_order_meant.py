"""The rules engine never places an order the customer didn't mean.

A number it can't read exactly (a vague "a few", a dozen over the limit) is
asked, never taken as 1; a quantity never said is asked; a conversation keeps
one language, and a Korean word in an English sentence is understood with it.
"""

from __future__ import annotations

import pytest

from tests.support.ai_catalog import CATALOG, VALENTINE_EVENT
from tests.support.rules_dialogue import converse


def _said(talk_replies: list[dict[str, object]]) -> list[str]:
    return [str(reply["response"]) for reply in talk_replies]


async def _asked_until_a_number(lines: list[str], number: str, quantity: int) -> list[str]:
    """The replies to ``lines``, after checking that two yeses after them place nothing
    and that ``number`` and a yes place ``quantity`` dinners."""
    talk = await converse([*lines, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    answered = await converse([*lines, number, "yes"])
    assert answered.placed, _said(answered.replies)
    assert answered.session.order_state.quantity == quantity
    return _said(talk.replies)


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
        # A word recognition writes for a number, then the number itself.
        ("I'd like to French dinners, three please, grand", 3),
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


@pytest.mark.parametrize(
    ("asked", "menu", "why"),
    [
        ("something for a romantic evening?", "valentine", "romantic evening"),
        ("기념일인데 뭐가 좋을까요?", "valentine", "로맨틱한 저녁"),
        ("We're celebrating tonight, what do you recommend?", "champagne_feast", "celebration"),
        ("What do you recommend without alcohol?", "english", "without alcohol"),
        ("술을 못 마시는데 뭐가 좋을까요?", "english", "술 없이"),
        ("Anything good for 46,000 won or less?", "english", "within 46,000 won"),
        ("46,000원 안에서 뭐가 좋을까요?", "english", "46,000원 안에"),
        ("What's good for the two of us?", "champagne_feast", "serves 2"),
        ("두 명이서 먹을 건데 뭐가 좋을까요?", "champagne_feast", "2명이"),
    ],
)
async def test_a_recommendation_fits_what_the_customer_said_not_only_the_promotion(
    asked: str, menu: str, why: str
) -> None:
    # The Valentine promotion runs throughout: it is one reason among the others.
    event = {**VALENTINE_EVENT, "menu_codes": ["french"]}
    talk = await converse([asked], events=[event])
    answer = talk.replies[0]
    assert answer["intent"] == "recommendation", answer["response"]
    assert answer["recommended_menu"]["code"] == menu
    assert why in answer["response"]
    assert talk.session.order_state.quantity == 1  # two people are no quantity


@pytest.mark.parametrize(
    ("asked", "kept_out"),
    [
        ("What do you recommend without alcohol?", {"valentine", "french", "champagne_feast"}),
        ("술을 못 마시는데 뭐가 좋을까요?", {"valentine", "french", "champagne_feast"}),
        ("Anything good for 46,000 won or less?", {"champagne_feast"}),
    ],
)
async def test_the_other_dinners_offered_keep_to_what_the_customer_said(
    asked: str, kept_out: set[str]
) -> None:
    # Offering "or the French Dinner" to "without alcohol" offers wine; "the second
    # one" would then order it.
    talk = await converse([asked, "the second one"])
    answer = talk.replies[0]
    offered = {item["code"] for item in [answer["recommended_menu"], *answer["alternatives"]]}
    assert not offered & kept_out, answer["response"]
    assert talk.session.order_state.menu_code not in kept_out


@pytest.mark.parametrize(
    ("accept", "pick"),
    [
        ("그걸로 주세요", 0),
        ("sure, that one", 0),
        ("좋아요, 그걸로 주세요", 0),
        ("the second one", 1),
        ("두 번째요", 1),
    ],
)
async def test_a_recommendation_is_accepted_in_either_language_or_by_its_place(
    accept: str, pick: int
) -> None:
    asked = "something for a romantic evening?" if accept.isascii() else "기념일인데 뭐가 좋을까요?"
    talk = await converse([asked, accept])
    offered = [talk.replies[0]["recommended_menu"], *talk.replies[0]["alternatives"]]
    assert talk.session.order_state.menu_code == offered[pick]["code"]
    assert talk.session.stage == "style_selection"


@pytest.mark.parametrize(
    ("lines", "read_back"),
    [
        (["French dinner, simple style", "one", "extra wine and no steak"], "extra wine, no steak"),
        (
            ["프렌치 디너 심플로 한 개", "와인 추가하고 스테이크 빼 주세요"],
            "와인 추가, 스테이크 빼고",
        ),
        (["English dinner, grand, two", "two more bacon, less eggs"], "2 extra bacon"),
    ],
)
async def test_changes_are_read_back_the_way_a_person_says_them(
    lines: list[str], read_back: str
) -> None:
    talk = await converse(lines)
    assert read_back in talk.replies[-1]["response"]
    assert " 0" not in talk.replies[-1]["response"]


@pytest.mark.parametrize(
    ("lines", "limit"),
    [
        (["one French dinner, grand style", "extra 15 wine"], "0 to 10 wine"),
        (["two English dinners, grand", "12 bacon and no steak"], "0 to 10 bacon"),
        (["프렌치 디너 한 개 그랜드로 주세요", "와인 열다섯 개 추가해 주세요"], "0개부터 10개까지"),
    ],
)
async def test_an_ingredient_amount_over_the_limit_is_refused_and_asked_not_clamped(
    lines: list[str], limit: str
) -> None:
    talk = await converse(lines)
    reply = talk.replies[-1]
    assert limit in reply["response"]
    assert talk.session.stage == "customization"
    assert all(amount <= 2 for amount in talk.session.order_state.customizations.values())

    talk = await converse([*lines, "yes", "yes"])
    assert talk.placed
    assert all(amount <= 2 for amount in talk.session.order_state.customizations.values())


@pytest.mark.parametrize(
    "sentence", ["a bottle of champagne", "I want the champagne, grand style", "two champagnes"]
)
async def test_a_menu_named_by_an_ingredients_word_is_asked_back(sentence: str) -> None:
    talk = await converse([sentence])
    assert not talk.session.order_state.menu_code
    assert talk.replies[0]["response"] == "Did you mean the Champagne Feast Dinner?"

    talk = await converse([sentence, "yes", "deluxe", "two", "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.menu_code == "champagne_feast"


async def test_an_ingredient_of_the_menu_chosen_is_still_a_change() -> None:
    lines = ["two champagne feast dinners, deluxe", "more champagne", "yes", "yes"]
    talk = await converse(lines)
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {"champagne": 2}


@pytest.mark.parametrize(
    "sentence",
    [
        "I'd like to English dinners, grand style please",  # "a" or "two", as recognition wrote it
        "I want too Valentine dinners, simple",
        "We'd love to French dinners in deluxe style",
        # With no verb before it, the word is still no number read exactly.
        "to French dinners, grand style",
        "Can I come to Valentine dinners, simple",  # "Can I have the Valentine Dinner?"
        "free Valentine dinners, simple style",
        "for English dinners in grand style",
        "won French dinner, deluxe style",
        "ate English dinners, simple",
        "free Valentine dinners, simple",
        "tree valentine dinners, grand",
    ],
)
async def test_a_word_written_for_a_number_before_the_menu_is_no_quantity_but_a_question(
    sentence: str,
) -> None:
    # English only: these are what speech recognition writes for English number words.
    replies = await _asked_until_a_number([sentence], "one", 1)
    assert "How many" in replies[0]


@pytest.mark.parametrize(
    "question", ["What's good for the two members?", "What do you recommend for two?"]
)
async def test_a_number_in_a_request_for_a_recommendation_counts_people_not_dinners(
    question: str,
) -> None:
    talk = await converse([question])
    reply = talk.replies[0]
    assert reply["intent"] == "recommendation", reply["response"]
    assert "it serves 2" in reply["response"]

    talk = await converse([question, "OK, I'll take it", "grand", "yes"])
    assert "How many" in talk.replies[2]["response"]  # the two were people, not dinners


@pytest.mark.parametrize(
    "sentence",
    [
        "One Done English Dinners, simple please",  # "one dozen", as recognition wrote it
        "two large French dinners, grand style",
        "five, no wait, English dinners in simple style",
    ],
)
async def test_a_word_between_a_number_and_the_menu_makes_the_number_a_question(
    sentence: str,
) -> None:
    replies = await _asked_until_a_number([sentence], "twelve", 12)
    assert "How many" in replies[0]


@pytest.mark.parametrize(
    "sentence", ["two orders of the French dinner, simple", "2 portions of French dinner, simple"]
)
async def test_words_that_count_may_stand_between_a_number_and_the_menu(sentence: str) -> None:
    talk = await converse([sentence, "yes"])
    assert talk.placed, _said(talk.replies)


@pytest.mark.parametrize("misheard", ["Wait for the name.", "Wait for an M.", "Oh, free."])
async def test_a_number_word_misheard_at_the_read_back_asks_how_many_again(misheard: str) -> None:
    # "Wait, four of them": nothing else is read, and the "for" may have been the number.
    lines = ["Could we order a French dinner? Simple style, please.", misheard]
    replies = await _asked_until_a_number(lines, "four", 4)
    assert "How many French Dinner" in replies[1]
    assert "So that's" not in replies[1]


@pytest.mark.parametrize(
    ("lines", "number", "asked"),
    [
        (["the Champagne Feast Dinner", "deluxe", "I am.", "more coffee"], "five", "How many"),
        (
            ["샴페인 축제 디너요", "디럭스요", "어쩌고요", "커피 추가해 주세요"],
            "다섯 개요",
            "몇 개",
        ),
    ],
)
async def test_an_answer_to_how_many_not_understood_leaves_it_open_and_takes_no_change(
    lines: list[str], number: str, asked: str
) -> None:
    # "five" heard "I am.": not the answer without a number that keeps 1, so an
    # ingredient change after it is no read-back of 1 dinner; nor is the change taken
    # while how many is asked again (it may have been the number, misheard).
    talk = await converse([*lines, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert asked in talk.replies[3]["response"]
    assert "So that's" not in talk.replies[3]["response"]
    talk = await converse(lines)
    assert talk.session.order_state.customizations == {}

    # Once the number is said, the change is asked for, and then taken.
    talk = await converse([*lines, number, lines[-1], "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == 5
    assert talk.session.order_state.customizations == {"coffee": 2}


@pytest.mark.parametrize(
    ("lines", "answer", "asked", "change"),
    [
        # "only one" heard "More wine." (the question's own sample change).
        (["the Champagne Feast Dinner", "deluxe"], "more coffee", "How many", "coffee"),
        (["French dinner, grand style"], "More wine.", "How many", "wine"),
        (["French dinner, grand style"], "Without champagne.", "How many", "champagne"),
        (["프렌치 디너 그랜드로 주세요"], "와인 추가해 주세요", "몇 개", "wine"),
        (["French dinner, grand style"], "yes", "How many", None),
        (["프렌치 디너 그랜드로 주세요"], "네", "몇 개", None),
    ],
)
async def test_an_answer_to_how_many_without_a_number_asks_for_one_and_takes_no_change(
    lines: list[str], answer: str, asked: str, change: str | None
) -> None:
    english = asked == "How many"
    talk = await converse([*lines, answer, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    replies = _said(talk.replies)
    assert asked in replies[len(lines)], replies
    assert "Please say a number." in replies[len(lines)] or "숫자로" in replies[len(lines)]
    assert "So that's" not in replies[len(lines)] and "주문할까요" not in replies[len(lines)]
    talk = await converse([*lines, answer])
    assert talk.session.stage == "customization"
    assert talk.session.order_state.customizations == {}, change

    # The number said, a change not taken is asked for before the order is read back.
    number, nothing = ("three", "that's all") if english else ("세 개", "없어요")
    talk = await converse([*lines, answer, number, *([nothing] if change else []), "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == 3
    assert talk.session.order_state.customizations == {}
    if change:
        assert talk.replies[len(lines) + 1]["response"] in (
            "Now, what would you like to change?",
            "이제 무엇을 바꿔 드릴까요?",
        )


async def test_a_quantity_over_the_limit_at_the_read_back_is_asked_again() -> None:
    talk = await converse(["two French dinners, grand style", "Actually, make it twenty-five"])
    assert "1 to 20 dinners" in talk.replies[1]["response"]
    assert "How many French Dinner" in talk.replies[1]["response"]
    assert "So that's" not in talk.replies[1]["response"]


@pytest.mark.parametrize(
    ("lines", "asked", "answer", "changes"),
    [
        (
            ["two champagne feast dinners, grand", "Add champagne. And the coffee."],
            "What would you like done with the coffee pot: more, less or none?",
            "no coffee",
            {"champagne": 2, "coffee": 0},
        ),
        (
            ["프렌치 디너 두 개 그랜드로 주세요", "와인이요"],
            "와인은 추가할까요, 줄일까요, 뺄까요?",
            "와인 빼 주세요",
            {"wine": 0},
        ),
    ],
)
async def test_an_ingredient_named_with_no_change_heard_is_asked_about_and_a_yes_is_no_answer(
    lines: list[str], asked: str, answer: str, changes: dict[str, int]
) -> None:
    # "add champagne and hold the coffee", as recognition wrote it: the coffee is not
    # left as it comes and read back for a yes.
    talk = await converse([*lines, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert asked in talk.replies[1]["response"]
    assert "So that's" not in talk.replies[1]["response"]

    talk = await converse([*lines, answer, "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == changes


async def test_an_ingredient_asked_about_can_be_left_as_it_comes() -> None:
    talk = await converse(["French dinner, grand, two", "the wine", "nothing", "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {}


@pytest.mark.parametrize(
    "misheard", ["Add champagne. And that will look off it.", "More champagne. Then throw it off."]
)
async def test_the_rest_of_a_change_not_caught_is_asked_for_and_a_yes_is_no_answer(
    misheard: str,
) -> None:
    # "add champagne and hold the coffee", as recognition wrote it: the champagne
    # is taken, the rest asked for, not the order read back for a yes.
    lines = ["two champagne feast dinners, grand", misheard]
    talk = await converse([*lines, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert "I didn't catch the rest" in talk.replies[1]["response"]
    assert "So that's" not in talk.replies[1]["response"]

    talk = await converse([*lines, "no coffee", "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {"champagne": 2, "coffee": 0}


async def test_a_change_said_around_the_dialogues_own_words_is_taken() -> None:
    # Not "I didn't catch the rest": the words around it are the dialogue's own.
    lines = ["two champagne feast dinners, grand", "could I get more champagne", "yes"]
    talk = await converse(lines)
    assert talk.replies[1]["response"] == "Did I hear that right: extra champagne?"
    assert "So that's" in talk.replies[2]["response"]


@pytest.mark.parametrize(
    ("lines", "answer", "changes"),
    [
        (["French dinner, grand, two", "the wine"], "None.", {"wine": 0}),
        (["French dinner, grand, two", "the wine"], "More, please.", {"wine": 2}),
        (["French dinner, grand, two", "the steak"], "Less.", {"steak": 0}),
        (["프렌치 디너 두 개 그랜드로 주세요", "와인이요"], "빼 주세요", {"wine": 0}),
        (["프렌치 디너 두 개 그랜드로 주세요", "와인이요"], "추가해 주세요", {"wine": 2}),
    ],
)
async def test_the_kiosks_own_question_about_an_ingredient_takes_a_bare_answer(
    lines: list[str], answer: str, changes: dict[str, int]
) -> None:
    # "more, less or none?" was asked: "None." is that answer, not "didn't catch that".
    talk = await converse([*lines, answer, "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == changes


@pytest.mark.parametrize("answer", ["more", "None.", "빼 주세요"])
async def test_a_bare_more_or_none_asked_nothing_is_no_change(answer: str) -> None:
    talk = await converse(["French dinner, grand, two", answer])
    assert talk.session.order_state.customizations == {}


@pytest.mark.parametrize(
    "asked",
    [
        "What do you recommend under 46,000 one?",  # "won" as recognition writes it
        "Anything good for 46,000 want or less?",
        "Anything good for 46000 or less?",
        "46,000 이하로 추천해 주세요",
    ],
)
async def test_a_sum_of_money_is_a_budget_without_won_heard_never_a_count(asked: str) -> None:
    # "under 45,000 one" had counted one person and recommended a dinner over the budget.
    talk = await converse([asked])
    answer = talk.replies[0]
    assert answer["intent"] == "recommendation", answer["response"]
    assert answer["recommended_menu"]["code"] == "english"
    assert "46,000" in answer["response"]


@pytest.mark.parametrize(
    "asked",
    [
        "I don't think, what's good?",  # "I don't drink", as recognition wrote it
        "What do you recommend with our alcohol?",  # "without alcohol"
        "It's our Annie Versery, what do you suggest?",  # "anniversary"
    ],
)
async def test_a_request_for_a_recommendation_with_words_not_caught_asks_what_it_should_suit(
    asked: str,
) -> None:
    # English only: the words left unread are counted in English sentences.
    talk = await converse([asked, "sounds good", "grand", "two", "yes"])
    assert talk.replies[0]["intent"] != "recommendation", talk.replies[0]["response"]
    assert "What should the dinner suit" in talk.replies[0]["response"]
    assert not talk.placed, _said(talk.replies)

    talk = await converse([asked, "What do you recommend without alcohol?", "sure"])
    assert talk.session.order_state.menu_code == "english"


@pytest.mark.parametrize(
    "asked",
    ["What do you recommend?", "Any recommendations?", "What's good tonight?", "추천 메뉴 있어요?"],
)
async def test_a_plain_request_for_a_recommendation_is_answered_with_one(asked: str) -> None:
    talk = await converse([asked])
    assert talk.replies[0]["intent"] == "recommendation", talk.replies[0]["response"]


@pytest.mark.parametrize("misheard", ["No one.", "More one.", "Without one, please.", "Extra to."])
async def test_a_change_word_before_a_number_is_an_ingredient_not_caught_never_a_quantity(
    misheard: str,
) -> None:
    # "No wine" heard "No one." was read as 1 dinner and read back for a yes. English
    # only: "one" for "wine" is what recognition writes in English.
    lines = ["two French dinners, grand style", misheard]
    talk = await converse([*lines, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert "I didn't catch the rest" in talk.replies[1]["response"]

    talk = await converse([*lines, "no wine", "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == 2
    assert talk.session.order_state.customizations == {"wine": 0}


@pytest.mark.parametrize(
    ("lines", "asked"),
    [
        (
            ["What do you recommend?", "How is it, Lord?", "Third round. One.", "French", "grand"],
            "How many",
        ),
        (["추천해 주세요", "어쩌고요", "저기 하나요", "프렌치 디너요", "그랜드요"], "몇 개"),
    ],
)
async def test_a_number_in_a_line_the_kiosk_did_not_catch_was_never_said(
    lines: list[str], asked: str
) -> None:
    # "The Grand one" heard "Third round. One." was not caught, yet its "one" later
    # counted as the quantity said: 1 read back without asking.
    talk = await converse(lines)
    assert talk.replies[2]["response"].startswith(("Sorry, I didn't catch that", "죄송해요"))
    assert asked in talk.replies[-1]["response"]


@pytest.mark.parametrize(
    ("lines", "asked"),
    [
        (["French dinner, grand, two", "Add wine. And the steak."], "done with the steak"),
        (["French dinner, grand, two", "Add wine. And that will look off it."], "the rest"),
        (
            ["프렌치 디너 두 개 그랜드로 주세요", "와인 추가하고 스테이크는"],
            "스테이크는 추가할까요",
        ),
    ],
)
async def test_a_question_about_a_change_stays_open_when_its_answer_is_not_caught(
    lines: list[str], asked: str
) -> None:
    # "None." heard "It's all good." had the question dropped for "Anything else?",
    # and the yes after it placed the order without the change.
    not_caught = "It's all good." if lines[0].isascii() else "어쩌고 저쩌고"
    talk = await converse([*lines, not_caught, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert asked in talk.replies[2]["response"]


@pytest.mark.parametrize(
    ("misheard", "asked", "answer"),
    [
        ("Actually, make it sick.", "What would you like to change it to?", "six"),
        ("Sorry, I meant sex.", "What would you like to change it to?", "six"),
        ("어쩌고로 바꿔 주세요", "무엇으로 바꿔 드릴까요?", "여섯 개"),
    ],
)
async def test_a_correction_not_caught_at_the_read_back_is_asked_for_and_a_yes_is_no_answer(
    misheard: str, asked: str, answer: str
) -> None:
    # "Actually, make it six" heard "Actually, make it sick." had the old order read
    # back again, and the yes to it placed 2 dinners.
    first = (
        "two French dinners, grand style" if misheard.isascii() else "프렌치 디너 두 개 그랜드로"
    )
    talk = await converse([first, misheard, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert asked in talk.replies[1]["response"]

    talk = await converse([first, misheard, answer, "yes"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == 6


@pytest.mark.parametrize(
    ("heard", "pick"),
    [("Third round. One.", None), ("the third one", 2), ("The second one, grand style", 1)],
)
async def test_an_ordinal_chooses_an_offered_dinner_only_as_a_word_of_its_own(
    heard: str, pick: int | None
) -> None:
    # "The Grand one" heard "Third round. One." took the third dinner offered.
    talk = await converse(["something for a romantic evening?", heard])
    offered = [talk.replies[0]["recommended_menu"], *talk.replies[0]["alternatives"]]
    chosen = talk.session.order_state.menu_code
    assert chosen == (offered[pick]["code"] if pick is not None else None)


@pytest.mark.parametrize(
    "asked",
    [
        "Which dinner comes without any alcohol?",
        "Nothing alcoholic please, what would you suggest?",
        "술 안 들어간 메뉴 있어요?",
    ],
)
async def test_a_dislike_in_other_words_is_a_wish_for_a_recommendation(asked: str) -> None:
    # "Which dinner comes without any alcohol?" got "didn't catch that"; the "nothing" of
    # "nothing alcoholic" was "that's all", and the plain menu list came back.
    talk = await converse([asked])
    answer = talk.replies[0]
    assert answer["intent"] == "recommendation", answer["response"]
    menu = next(m for m in CATALOG["menus"] if m["code"] == answer["recommended_menu"]["code"])
    assert not {"wine", "champagne"} & {i["code"] for i in menu["ingredients"]}


@pytest.mark.parametrize(
    ("lines", "amount"),
    [
        (["샴페인 축제 디럭스로 한 개", "스테이크 좀 더 넣어 주세요"], 2),
        (["샴페인 축제 디럭스로 한 개", "스테이크 조금 더 주세요"], 2),
        (["샴페인 축제 디럭스로 한 개", "스테이크 약간 더 주세요"], 2),
    ],
)
async def test_a_korean_more_with_a_softening_word_is_still_more(
    lines: list[str], amount: int
) -> None:
    # "스테이크 좀 더 넣어 주세요" was asked "추가할까요, 줄일까요, 뺄까요?".
    talk = await converse([*lines, "네", "네"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {"steak": amount}


@pytest.mark.parametrize(
    "again",
    ["일 인분 주세요", "한 개 주세요", "one please", "Just one"],
)
async def test_the_number_read_back_said_again_is_no_line_not_caught(again: str) -> None:
    # "일 인분 주세요" to "1개, ... 주문할까요?" was "didn't catch that", which left how
    # many unclear: asked again later, after the customer had said it twice.
    first = "샴페인 축제 디럭스로 일 인분 주세요" if again[0] > "~" else "one French dinner, grand"
    talk = await converse([first, again, "yes" if again.isascii() else "네"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == 1
    reply = str(talk.replies[1]["response"])
    assert "catch" not in reply and "이해하지 못" not in reply, reply


@pytest.mark.parametrize(
    ("first", "correction", "quantity"),
    [
        ("발렌타인 디너 심플로 5인분 주문할게요", "5인분 말고 4인분으로 해 주세요", 4),
        ("발렌타인 디너 심플로 2인분 주문할게요", "2개 말고 5인분으로 해 주세요", 5),
        ("two English dinners, simple", "Sorry, not two, four", 4),
        ("two English dinners, simple", "not two but three", 3),
    ],
)
async def test_a_correction_naming_the_number_it_replaces_takes_the_new_one(
    first: str, correction: str, quantity: int
) -> None:
    # "5인분 말고 4인분으로" had 5 read back again, and the yes to it placed 5; "not two,
    # four" was "no" two of an ingredient not caught.
    talk = await converse([first, correction, "yes" if first.isascii() else "네"])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.quantity == quantity


@pytest.mark.parametrize("correction", ["5인분 말고 해 주세요", "Sorry, not five, sick"])
async def test_a_correction_whose_new_number_is_not_caught_is_asked_not_the_old_one_read_back(
    correction: str,
) -> None:
    first = (
        "five English dinners, simple" if correction.isascii() else "발렌타인 심플로 5인분 주세요"
    )
    talk = await converse([first, correction, "yes", "yes"])
    assert not talk.placed, _said(talk.replies)
    assert "So that's" not in talk.replies[1]["response"], _said(talk.replies)
    assert "이대로 주문할까요" not in talk.replies[1]["response"], _said(talk.replies)


@pytest.mark.parametrize(
    ("asked", "menu"),
    [
        ("분위기 있는 저녁 추천해 주세요", "valentine"),
        ("It is date night tonight, what would you pick?", "valentine"),
        ("저희 둘이 먹을 만한 거 있어요?", "champagne_feast"),
        ("2인용으로 추천해 주세요", "champagne_feast"),
        ("Just the two of us tonight, what should we get?", "champagne_feast"),
    ],
)
async def test_a_wish_in_other_words_gets_the_dinner_that_fits_it(asked: str, menu: str) -> None:
    # "분위기 있는 저녁" (an evening with atmosphere) got the promotion's Champagne Feast,
    # and a customer who took it had not the Valentine Dinner meant; "둘이 먹을 만한 거"
    # got "didn't catch that".
    event = {**VALENTINE_EVENT, "menu_codes": ["french"]}
    talk = await converse([asked], events=[event])
    answer = talk.replies[0]
    assert answer["intent"] == "recommendation", answer["response"]
    assert answer["recommended_menu"]["code"] == menu


@pytest.mark.parametrize(
    ("first", "change", "asked", "customizations"),
    [
        (
            "one champagne feast dinner, grand",
            "Without champagne.",  # "one of them", as recognition wrote it
            "Did I hear that right: no champagne?",
            {"champagne": 0},
        ),
        (
            "two French dinners, grand style",
            "extra wine and no steak",
            "Did I hear that right: extra wine, no steak?",
            {"wine": 2, "steak": 0},
        ),
        (
            "프렌치 디너 두 개 그랜드로 주세요",
            "와인 빼 주세요",
            "와인 빼고, 맞게 들었나요?",
            {"wine": 0},
        ),
    ],
)
async def test_a_change_said_to_the_read_back_is_asked_back_before_it_is_taken(
    first: str, change: str, asked: str, customizations: dict[str, int]
) -> None:
    # "one of them" heard "Without champagne." to "So that's 1 ...": taken and read back,
    # the yes to the read-back placed a Champagne Feast without champagne.
    yes, no = ("yes", "no") if first.isascii() else ("네", "아니요")
    talk = await converse([first, change])
    assert talk.replies[1]["response"] == asked
    assert talk.session.order_state.customizations == {}
    talk = await converse([first, change, yes])
    assert not talk.placed, _said(talk.replies)

    # Meant: one more yes than before, and the change is read back with the order.
    talk = await converse([first, change, yes, yes])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == customizations

    # Not meant: the order is read back as it was.
    talk = await converse([first, change, no, yes])
    left = talk.replies[2]["response"]
    assert "left it as it was" in left or "그대로 둘게요" in left
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {}

    # Neither: asked again, never the order read back for a yes.
    unclear = "It's all good." if first.isascii() else "어쩌고 저쩌고"
    talk = await converse([first, change, unclear, yes, yes])
    assert asked in talk.replies[2]["response"]
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == customizations


async def test_a_change_said_when_asked_for_changes_is_taken_at_once() -> None:
    # Asked "would you like to change anything?", a change is what was asked for.
    talk = await converse(["two French dinners", "grand", "no steak", "yes"])
    assert "Would you like to change anything" in talk.replies[1]["response"]
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {"steak": 0}


@pytest.mark.parametrize("misheard", ["Home, two, one, be better.", "Hmm, four, two, we'd better"])
async def test_a_number_said_again_among_words_not_caught_is_asked_not_the_last_taken(
    misheard: str,
) -> None:
    # "Hmm, two would be better" heard "Home, two, one, be better." at the read-back of
    # 4: the last number, 1, was read back and placed. English only: the numbers said
    # again at once are read in English sentences.
    lines = ["four English dinners, simple", misheard]
    replies = await _asked_until_a_number(lines, "two", 2)
    assert "How many English Dinner" in replies[1]
    assert "So that's" not in replies[1]


@pytest.mark.parametrize("heard", ["Well, it's good for the two members.", "It is for two members"])
async def test_members_count_people_for_a_recommendation(heard: str) -> None:
    # "What's good for the two of us?" heard "Well, it's good for the two members.":
    # read as 2 dinners of no menu, and the plain menu list came back.
    talk = await converse([heard])
    answer = talk.replies[0]
    assert answer["intent"] == "recommendation", answer["response"]
    assert "it serves" in answer["response"]
    assert talk.session.order_state.quantity == 1


@pytest.mark.parametrize(
    ("lines", "asked", "no", "meant"),
    [
        (
            ["two champagne feast dinners", "grand", "the wine", "Without champagne."],
            "Did I hear that right: no champagne?",
            ["no", "more wine", "yes"],
            {"wine": 2},
        ),
        (
            ["샴페인 축제 디너 두 개요", "그랜드요", "와인이요", "샴페인 빼 주세요"],
            "샴페인 빼고, 맞게 들었나요?",
            ["아니요", "와인 추가해 주세요", "네"],
            {"wine": 2},
        ),
    ],
)
async def test_a_change_to_another_ingredient_than_the_one_asked_about_is_asked_back(
    lines: list[str], asked: str, no: list[str], meant: dict[str, int]
) -> None:
    # "one of them" heard "Without champagne." in answer to "What would you like done
    # with the wine?": taken, and read back later for a yes.
    talk = await converse(lines)
    assert talk.replies[-1]["response"] == asked
    assert talk.session.order_state.customizations == {}

    talk = await converse([*lines, *no])
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == meant

    # The ingredient asked about, changed, is what was asked for: taken at once.
    answer = "No wine." if lines[0].isascii() else "와인 빼 주세요"
    talk = await converse([*lines[:-1], answer])
    assert talk.session.order_state.customizations == {"wine": 0}


@pytest.mark.parametrize(
    ("lines", "answer"),
    [
        (["one champagne feast dinner, grand", "Without champagne."], "No wine."),
        (["프렌치 디너 두 개 그랜드로 주세요", "와인 빼 주세요"], "아니요, 스테이크 빼 주세요"),
    ],
)
async def test_an_answer_to_a_hearing_check_that_starts_with_no_is_a_no(
    lines: list[str], answer: str
) -> None:
    # "No" to "Did I hear that right: no champagne?" came back "No wine." three times,
    # each asked back in turn, and the customer's yes after them placed no wine.
    yes = "yes" if lines[0].isascii() else "네"
    talk = await converse([*lines, answer, yes])
    left = talk.replies[2]["response"]
    assert "left it as it was" in left or "그대로 둘게요" in left
    assert talk.placed, _said(talk.replies)
    assert talk.session.order_state.customizations == {}
