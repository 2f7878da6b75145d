"""The recognition prompt: the catalog as sample orders, sharpened by the stage."""

from __future__ import annotations

import pytest

from domain.draft import OrderDraft
from domain.speech_hints import MAX_PROMPT_CHARS, recognition_prompt
from domain.stages import Stage
from tests.support.ai_catalog import CATALOG, as_catalog

MENUS = as_catalog(CATALOG)
FRENCH = OrderDraft("french", "grand")


def test_every_menu_and_style_is_in_an_english_sample_order() -> None:
    prompt = recognition_prompt(MENUS, "en")

    assert prompt.startswith("Two Valentine Dinners, Simple style. Three French Dinners, Grand")
    for menu in MENUS.menus:
        assert menu.name_en in prompt
    for style in MENUS.all_styles():
        assert f"{style.name_en} style" in prompt


@pytest.mark.parametrize("language", ["ko", "ko-KR"])
def test_korean_names_and_counters_for_korean(language: str) -> None:
    prompt = recognition_prompt(MENUS, language)

    assert "발렌타인 디너 한 개 심플 스타일로 주세요." in prompt
    assert not any(menu.name_en in prompt for menu in MENUS.menus)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (Stage.MENU_SELECTION, "What do you recommend? Something for a romantic evening?"),
        (Stage.MENU_SELECTION, "We're celebrating. I don't drink. Sounds good. Sure, that one."),
        (Stage.MENU_SELECTION, "OK, I'll take it. Yes, please. No thanks."),
        (Stage.STYLE_SELECTION, "Simple style, please. Grand style, please. Deluxe style, please."),
        (Stage.STYLE_SELECTION, "Make it Simple. Make it Grand. Make it Deluxe. The Simple one."),
        (Stage.CUSTOMIZATION, "Just one. Two, please. I'll take three. Four of them."),
        (Stage.CUSTOMIZATION, "OK, then five. Fine, one, please. Cancel, please. More coffee."),
        (Stage.CUSTOMIZATION, "More steak. Extra steak. Add steak. No steak. Without steak."),
        (Stage.CONFIRMATION, "Yes, please place the order. Actually, make it three."),
        (Stage.CONFIRMATION, "OK, then two. Fine, one, please. Cancel, please. Actually, Simple"),
    ],
)
def test_what_the_stage_expects_comes_last_nearest_the_speech(stage: Stage, expected: str) -> None:
    prompt = recognition_prompt(MENUS, "en", stage, FRENCH)

    assert prompt.startswith("Two Valentine Dinners, Simple style.")
    assert expected in prompt
    assert prompt.index(expected) > prompt.index("Champagne Feast Dinners")
    assert recognition_prompt(MENUS, "en", Stage.COMPLETED, FRENCH).endswith("Deluxe style.")


def test_a_tens_number_is_among_the_sample_orders() -> None:
    # Without one, whisper heard "forty two" as "four two": 4, not a quantity to refuse.
    assert "Forty-two" in recognition_prompt(MENUS, "en")
    assert "마흔두" in recognition_prompt(MENUS, "ko")


def test_korean_stages_expect_korean_answers() -> None:
    styles = recognition_prompt(MENUS, "ko", Stage.STYLE_SELECTION, FRENCH)
    confirmation = recognition_prompt(MENUS, "ko", Stage.CONFIRMATION, FRENCH)

    assert styles.endswith("심플요. 그랜드요. 디럭스요.")
    assert "네, 주문해 주세요. 아니 세 개로 해 주세요." in confirmation
    assert "취소해 주세요." in confirmation
    assert not any(style.name_en in confirmation for style in MENUS.all_styles())


def test_the_prompt_stays_within_the_contracts_limit() -> None:
    menus = [
        {**menu, "code": f"{menu['code']}-{n}", "name_en": f"{menu['name_en']} {n}"}
        for n in range(40)
        for menu in CATALOG["menus"]
    ]
    big = as_catalog({**CATALOG, "menus": menus})

    prompt = recognition_prompt(big, "en", Stage.CUSTOMIZATION, FRENCH)

    assert MAX_PROMPT_CHARS - 60 < len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.endswith(".")
