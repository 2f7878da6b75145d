"""The recognition prompt: the catalog as sample orders, sharpened by the stage."""

from __future__ import annotations

import pytest

from domain.catalog import Catalog
from domain.draft import OrderDraft
from domain.speech_hints import MAX_PROMPT_CHARS, recognition_prompt
from domain.stages import Stage
from tests.ai_worker.catalog import CATALOG

MENUS = Catalog.from_ai_context(CATALOG)
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
        (Stage.STYLE_SELECTION, "Simple style, please. Grand style, please. Deluxe style, please."),
        (Stage.CUSTOMIZATION, "Just one. Two, please. More coffee, no coffee, hold the coffee."),
        (Stage.CONFIRMATION, "Yes, please place the order. Actually, make it three."),
    ],
)
def test_what_the_stage_expects_comes_last_nearest_the_speech(stage: Stage, expected: str) -> None:
    prompt = recognition_prompt(MENUS, "en", stage, FRENCH)

    assert prompt.startswith("Two Valentine Dinners, Simple style.")
    assert expected in prompt
    assert prompt.index(expected) > prompt.index("Champagne Feast Dinners")
    assert recognition_prompt(MENUS, "en", Stage.GREETING, FRENCH).endswith("Deluxe style.")


def test_the_prompt_stays_within_the_contracts_limit() -> None:
    menus = [
        {**menu, "code": f"{menu['code']}-{n}", "name_en": f"{menu['name_en']} {n}"}
        for n in range(40)
        for menu in CATALOG["menus"]
    ]
    big = Catalog.from_ai_context({**CATALOG, "menus": menus})

    prompt = recognition_prompt(big, "en", Stage.CUSTOMIZATION, FRENCH)

    assert MAX_PROMPT_CHARS - 60 < len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.endswith(".")
