"""Rendering a decided turn as the ``llm`` result: the reply and the proposal.

The reply is what was noted about the customer's words, the turn's own lines,
then the question of the stage the turn aims at (unless the lines already ask
one). The proposal is the draft and the stage, for the service's domain to
apply.
"""

from __future__ import annotations

from typing import Any

from ai_worker.llm.recommend import Recommendation
from ai_worker.llm.replies import Replies
from ai_worker.llm.turn import Talk, Turn
from domain.catalog import Menu
from domain.draft import OrderDraft
from domain.stages import Stage, movement


def render(talk: Talk, draft: OrderDraft, turn: Turn) -> dict[str, Any]:
    """The ``llm`` result of ``turn``, which leaves the order at ``draft``."""
    heard, catalog = talk.heard, talk.catalog
    quiet = turn.asks or turn.decision in ("confirm", "cancel") or turn.intent == "recommendation"
    question = None if quiet else _question(talk, turn.state, draft)
    lines = [*talk.notes, *turn.lines] + ([question] if question else [])
    menu = catalog.find_menu(draft.menu_code or "")
    suggestions = [_suggestion(talk.replies, item) for item in turn.recommended]
    return {
        "intent": turn.intent,
        "confidence": turn.confidence,
        "response": " ".join(lines),
        "analysis": {
            "engine": "rules",
            "language": heard.language,
            "stage": talk.stage,
            "heard": {
                "menu_code": heard.menu_code,
                "style_code": heard.style_code,
                "quantity": heard.quantity,
                "changes": [[c.code, c.op, c.amount] for c in heard.changes],
                "flags": sorted(heard.flags),
            },
            "notes": talk.notes,
        },
        "recommended_menu": suggestions[0] if suggestions else None,
        "alternatives": suggestions[1:],
        "additional_questions": [question] if question else [],
        "order_state": draft.to_dict(),
        "state": turn.state,
        "state_decision": turn.decision or movement(talk.stage, turn.state),
        "menu_selection": catalog.menus.index(menu) if menu else None,
        "style_selection": _style_index(menu, draft.style_code),
        "quantity": draft.quantity,
        "customization_overrides": dict(draft.customizations),
    }


def _question(talk: Talk, state: Stage, draft: OrderDraft) -> str | None:
    """What the stage ``state`` asks the customer, given ``draft``."""
    replies = talk.replies
    menu = talk.catalog.find_menu(draft.menu_code or "")
    if state in (Stage.GREETING, Stage.MENU_SELECTION):
        return replies.ask_menu()
    if menu is None:
        return None
    if state == Stage.STYLE_SELECTION:
        return replies.ask_style(menu)
    if state == Stage.CUSTOMIZATION:
        if not talk.quantity_said(draft):
            return replies.ask_quantity(menu)
        return replies.ask_custom(menu, again=talk.stage == Stage.CUSTOMIZATION)
    if state == Stage.CONFIRMATION:
        return replies.say("ask_confirm", order=replies.order(draft))
    return None


def _suggestion(replies: Replies, item: Recommendation) -> dict[str, Any]:
    return {
        "code": item.menu.code,
        "name": replies.name(item.menu),
        "description": replies.description(item.menu),
        "price": item.menu.price,
        "reason": replies.reason(item),
    }


def _style_index(menu: Menu | None, code: str | None) -> int | None:
    if menu is None or code is None:
        return None
    return next((i for i, s in enumerate(menu.styles) if s.code == code), None)
