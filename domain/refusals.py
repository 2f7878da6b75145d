"""Refused proposals as questions: what the customer is asked when the AI's value won't do.

:func:`domain.turns.apply_turn` refuses a quantity out of range, a style the
menu doesn't have, an unknown code; the turn still answers, and the customer
is told what is allowed, in the conversation's language. Refusals about the
conversation's mechanics (a stage move, a decision) are not the customer's to
answer and give no question.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.catalog import MAX_INGREDIENT_QUANTITY, MAX_QUANTITY, Catalog
from domain.draft import OrderDraft
from domain.language import Language, supported

_QUESTIONS: dict[Language, dict[str, str]] = {
    "en": {
        "quantity": "How many would you like? One order takes 1 to {maximum} dinners.",
        "menu": "Which dinner would you like: {menus}?",
        "style": "Which style would you like for the {menu}: {styles}?",
        "customization": (
            "What would you like to change? The {menu} can have 0 to {maximum} of each of "
            "{ingredients}."
        ),
    },
    "ko": {
        "quantity": "몇 개로 할까요? 한 번에 1개부터 {maximum}개까지 주문하실 수 있어요.",
        "menu": "어떤 디너로 하시겠어요? {menus} 중에서 골라 주세요.",
        "style": "{menu}의 스타일을 골라 주세요: {styles}.",
        "customization": (
            "무엇을 바꿔 드릴까요? {menu}의 재료({ingredients})는 각각 0개부터 {maximum}개까지 "
            "가능해요."
        ),
    },
}


def refusal_questions(
    ignored: Sequence[tuple[str, str]], draft: OrderDraft, catalog: Catalog, language: str | None
) -> list[str]:
    """One question per kind of refused value in ``ignored`` (``(field, reason)`` pairs)."""
    spoken = supported(language)
    korean = spoken == "ko"
    text = _QUESTIONS[spoken]
    menu = catalog.find_menu(draft.menu_code) if draft.menu_code else None
    joiner = ", " if korean else " or "
    kinds = dict.fromkeys(_kind(name) for name, _ in ignored)
    questions = []
    for kind in kinds:
        if kind == "quantity":
            questions.append(text["quantity"].format(maximum=MAX_QUANTITY))
        elif kind == "menu" or (kind in ("style", "customization") and menu is None):
            names = [m.name_in(spoken) for m in catalog.menus]
            questions.append(text["menu"].format(menus=joiner.join(names)))
        elif kind == "style" and menu is not None:
            styles = [s.name_in(spoken) for s in menu.styles]
            name = menu.name_in(spoken)
            questions.append(text["style"].format(menu=name, styles=joiner.join(styles)))
        elif kind == "customization" and menu is not None:
            items = [i.name_in(spoken) for i in menu.ingredients]
            questions.append(
                text["customization"].format(
                    menu=menu.name_in(spoken),
                    ingredients=", ".join(items),
                    maximum=MAX_INGREDIENT_QUANTITY,
                )
            )
    return list(dict.fromkeys(questions))


def _kind(field_name: str) -> str | None:
    if field_name == "quantity":
        return "quantity"
    if field_name in ("menu_code", "menu_selection"):
        return "menu"
    if field_name in ("style_code", "style_selection"):
        return "style"
    if field_name.startswith(("customizations", "customization_overrides")):
        return "customization"
    return None
