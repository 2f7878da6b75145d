"""Refused proposals become questions saying what is allowed, in the conversation's language."""

from __future__ import annotations

import pytest

from domain.draft import OrderDraft
from domain.language import DEFAULT_LANGUAGE
from domain.refusals import refusal_questions
from tests.support.ai_catalog import CATALOG, as_catalog

MENUS = as_catalog(CATALOG)
FEAST = OrderDraft("champagne_feast", "grand", 2)


@pytest.mark.parametrize(
    ("field", "english", "korean"),
    [
        ("quantity", "1 to 20 dinners", "1개부터 20개까지"),
        ("style_code", "Champagne Feast Dinner: Grand or Deluxe?", "그랜드, 디럭스"),
        ("style_selection", "Grand or Deluxe", "그랜드, 디럭스"),
        ("menu_code", "Which dinner would you like: Valentine Dinner or", "발렌타인 디너, "),
        ("customization_overrides.wine", "0 to 10 of each of champagne", "0개부터 10개까지"),
    ],
)
def test_each_refusal_asks_what_is_allowed(field: str, english: str, korean: str) -> None:
    refused = [(field, "refused")]
    (asked_en,) = refusal_questions(refused, FEAST, MENUS, "en")
    (asked_ko,) = refusal_questions(refused, FEAST, MENUS, "ko")
    assert english in asked_en
    assert korean in asked_ko


def test_one_question_per_kind_and_none_for_mechanics() -> None:
    refused = [("quantity", "a"), ("quantity", "b"), ("state", "c"), ("state_decision", "d")]
    assert len(refusal_questions(refused, FEAST, MENUS, "en")) == 1
    assert refusal_questions([("state", "c")], FEAST, MENUS, "en") == []


def test_a_style_without_a_menu_asks_for_the_menu() -> None:
    (asked,) = refusal_questions([("style_code", "x")], OrderDraft(), MENUS, "en")
    assert asked.startswith("Which dinner would you like")


def test_a_conversation_of_no_known_language_is_asked_in_the_default_one() -> None:
    (asked,) = refusal_questions([("quantity", "x")], FEAST, MENUS, None)
    assert asked == refusal_questions([("quantity", "x")], FEAST, MENUS, DEFAULT_LANGUAGE)[0]
    assert asked != refusal_questions([("quantity", "x")], FEAST, MENUS, "en")[0]
