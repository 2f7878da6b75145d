"""One turn of the rules engine: from what was heard to the ``llm`` result.

The engine proposes; the service's domain (``domain.turns.apply_turn``)
decides. So every proposal here stays inside what the stage machine allows:
a menu before ``style_selection``, menu and style before ``customization``
and ``confirmation``, ``confirm`` only at ``confirmation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ai_worker.llm.recommend import Recommendation, recommendations, usual_order
from ai_worker.llm.replies import Replies
from ai_worker.llm.understanding import Change, Understanding, understand
from ai_worker.schemas import LlmPayload
from domain.catalog import MAX_INGREDIENT_QUANTITY, MAX_QUANTITY, Catalog, Menu
from domain.draft import OrderDraft
from domain.stages import STAGE_ORDER, Stage

GREETING, MENU, STYLE, CUSTOM, CONFIRM, COMPLETED = STAGE_ORDER


@dataclass(slots=True)
class _Turn:
    intent: str
    state: Stage
    lines: list[str] = field(default_factory=list)
    confidence: float = 0.9
    decision: str | None = None
    recommended: list[Recommendation] = field(default_factory=list)
    asks: bool = False
    """The lines end in their own question; the stage's question is not added."""


@dataclass(slots=True)
class _Conversation:
    """What a turn reads: the request, parsed, and the sentences to answer with."""

    stage: Stage
    draft: OrderDraft
    heard: Understanding
    catalog: Catalog
    replies: Replies
    payload: LlmPayload
    notes: list[str] = field(default_factory=list)


def respond(payload: LlmPayload, catalog: Catalog) -> dict[str, Any]:
    """The ``llm`` result for ``payload``: pure and deterministic."""
    context = payload.context
    heard = understand(payload.transcript, catalog, context.language)
    talk = _Conversation(
        stage=context.stage,
        draft=_read_draft(context.order_state, catalog),
        heard=heard,
        catalog=catalog,
        replies=Replies(heard.language, catalog),
        payload=payload,
    )
    draft, turn = _decide(talk)
    quiet = turn.asks or turn.decision in ("confirm", "cancel") or turn.intent == "recommendation"
    question = None if quiet else _question(talk, turn.state, draft)
    lines = [*talk.notes, *turn.lines] + ([question] if question else [])
    menu = catalog.find_menu(draft.menu_code or "")
    decision = turn.decision or _movement(talk.stage, turn.state)
    suggestions = [_suggestion(talk.replies, item) for item in turn.recommended[:3]]
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
        "state_decision": decision,
        "menu_selection": catalog.menus.index(menu) if menu else None,
        "style_selection": _style_index(menu, draft.style_code),
        "quantity": draft.quantity,
        "customization_overrides": dict(draft.customizations),
    }


def _decide(talk: _Conversation) -> tuple[OrderDraft, _Turn]:
    heard, stage, say = talk.heard, talk.stage, talk.replies.say
    if stage == COMPLETED:
        return talk.draft, _Turn("completed", COMPLETED, [say("completed")])
    if "cancel" in heard.flags:
        return talk.draft, _Turn("cancel", stage, [say("cancelled")], 0.95, "cancel")
    if "back" in heard.flags and not heard.has_order_details:
        target = STAGE_ORDER[max(STAGE_ORDER.index(stage) - 1, 0)]
        return talk.draft, _Turn("back", target, [say("back")])
    if "detail_inquiry" in heard.flags:
        return talk.draft, _inquiry(talk)

    draft = _updated_draft(talk)
    if heard.menu_guess or (heard.style_guess and draft.menu_code):
        return draft, _ask_back(talk, draft)
    if draft != talk.draft:
        changed = [
            f"{talk.replies.name(talk.catalog.menu(draft.menu_code or '').ingredient(c))} {n}"
            for c, n in draft.customizations.items()
            if talk.draft.customizations.get(c) != n
        ]
        lines = [say("noted", changes=", ".join(changed))] if changed else []
        return draft, _Turn("order", _stage_after_update(talk, draft), lines)
    if heard.flags & {"confirm", "done", "no"} or (heard.quantity is not None and stage == CUSTOM):
        # "just one" when asked how many, "yes" to the order read back: agreement.
        return draft, _agreement(talk)
    if "recommend" in heard.flags:
        ranked = recommendations(
            talk.catalog, talk.payload.context.order_history, talk.payload.context.active_events
        )
        target = MENU if stage == GREETING else stage
        lines = [_recommend_line(talk.replies, ranked[0]), say("recommend_accept")]
        return draft, _Turn("recommendation", target, lines, recommended=ranked)
    if "inquiry" in heard.flags:
        return draft, _inquiry(talk)
    if "change_menu" in heard.flags and stage != GREETING:
        return draft, _Turn("change", MENU, [say("change")])
    if "change_style" in heard.flags and draft.menu_code and STAGE_ORDER.index(stage) > 1:
        return draft, _Turn("change", STYLE, [say("change")])
    if "greeting" in heard.flags:
        return draft, _Turn("greeting", MENU if stage == GREETING else stage, [say("welcome")])
    target = MENU if stage == GREETING else stage
    return draft, _Turn("unknown", target, [] if talk.notes else [say("not_understood")], 0.3)


def _agreement(talk: _Conversation) -> _Turn:
    """A "yes", "no" or "that's all" with nothing else in it."""
    stage, say, draft = talk.stage, talk.replies.say, talk.draft
    flags = talk.heard.flags
    # "that's all" to the order read back agrees to it; a bare "no" does not.
    agreed = "confirm" in flags or ("done" in flags and "no" not in flags)
    if stage == CONFIRM and draft.is_complete:
        if agreed:
            order = talk.replies.order(draft)
            return _Turn("confirm", CONFIRM, [say("confirmed", order=order)], 0.95, "confirm")
        return _Turn("change", CUSTOM, [say("change")])
    refused = talk.heard.quantity is not None and not _allowed(talk.heard.quantity)
    if stage == CUSTOM and draft.is_complete and not refused:
        return _Turn("confirm" if agreed else "order", CONFIRM)
    if stage == GREETING:
        return _Turn("greeting", MENU)
    return _Turn("unknown", stage, [say("not_understood")], 0.4)


def _ask_back(talk: _Conversation, draft: OrderDraft) -> _Turn:
    """A name nearly heard: "Did you mean the French Dinner?", and not taken."""
    heard, replies = talk.heard, talk.replies
    if heard.menu_guess:
        line = replies.did_you_mean(talk.catalog.menu(heard.menu_guess))
    else:
        style = next(s for s in talk.catalog.all_styles() if s.code == heard.style_guess)
        line = replies.did_you_mean(style)
    return _Turn("unknown", _stage_after_update(talk, draft), [line], 0.5, asks=True)


def _inquiry(talk: _Conversation) -> _Turn:
    target = MENU if talk.stage == GREETING else talk.stage
    menu = talk.catalog.find_menu(talk.heard.menu_code or talk.draft.menu_code or "")
    if "detail_inquiry" in talk.heard.flags and menu is not None:
        return _Turn("inquiry", target, [talk.replies.describe(menu)])
    return _Turn("inquiry", target, [] if target == MENU else [talk.replies.ask_menu()])


def _updated_draft(talk: _Conversation) -> OrderDraft:
    heard, say, catalog = talk.heard, talk.replies.say, talk.catalog
    draft = replace(talk.draft, customizations=dict(talk.draft.customizations))
    if "usual" in heard.flags:
        draft = usual_order(catalog, talk.payload.context.order_history) or draft
    offer = _accepted_offer(talk)
    menu_code = heard.menu_code or offer.menu_code
    if menu_code is not None and menu_code != draft.menu_code:
        draft.menu_code, draft.customizations = menu_code, {}
        if not catalog.menu(menu_code).allowed_style(draft.style_code or ""):
            draft.style_code = None
    if heard.style_code is None and offer.style_code is not None:
        heard.style_code = offer.style_code
    menu = catalog.find_menu(draft.menu_code or "")
    if menu is None and (heard.style_code is not None or heard.changes):
        talk.notes.append(say("choose_menu_first"))
        return draft
    if heard.style_code is not None and menu is not None:
        if menu.allowed_style(heard.style_code):
            draft.style_code = heard.style_code
        else:
            style = next(s for s in catalog.all_styles() if s.code == heard.style_code)
            talk.notes.append(
                say(
                    "style_not_allowed",
                    menu=talk.replies.name(menu),
                    style=talk.replies.name(style),
                    styles=talk.replies.style_names(menu),
                )
            )
    if heard.quantity is not None:
        if _allowed(heard.quantity):
            draft.quantity = heard.quantity
        else:
            talk.notes.append(say("quantity_range", maximum=MAX_QUANTITY))
    if menu is not None:
        for change in heard.changes:
            _apply_change(talk, menu, draft, change)
    return draft


def _apply_change(talk: _Conversation, menu: Menu, draft: OrderDraft, change: Change) -> None:
    item = next((i for i in menu.ingredients if i.code == change.code), None)
    if item is None:
        ingredient = next(
            i for m in talk.catalog.menus for i in m.ingredients if i.code == change.code
        )
        talk.notes.append(
            talk.replies.say(
                "no_ingredient",
                menu=talk.replies.name(menu),
                ingredient=talk.replies.name(ingredient),
            )
        )
        return
    current = draft.customizations.get(item.code, item.quantity)
    wanted = {
        "set": change.amount,
        "add": current + change.amount,
        "less": current - change.amount,
        "remove": 0,
        "double": current * 2,
    }[change.op]
    draft.customizations[item.code] = min(max(wanted, 0), MAX_INGREDIENT_QUANTITY)


def _stage_after_update(talk: _Conversation, draft: OrderDraft) -> Stage:
    if draft.menu_code is None:
        return MENU
    if draft.style_code is None:
        return STYLE
    if talk.heard.quantity is not None and not _quantity_said(talk, draft):
        return CUSTOM  # a refused "42", and no number before it: ask how many
    if talk.stage in (CUSTOM, CONFIRM):
        # A change is read back at once, and a "yes" to that places the order.
        return CONFIRM
    heard = talk.heard
    # The whole order in one sentence ("two French dinners, grand style") goes
    # straight to confirmation; a style given on its own leaves room to customize.
    in_one_go = bool(heard.menu_code and heard.style_code) or bool(heard.changes)
    return CONFIRM if in_one_go or "usual" in heard.flags else CUSTOM


def _recommendation(talk: _Conversation) -> Recommendation:
    context = talk.payload.context
    return recommendations(talk.catalog, context.order_history, context.active_events)[0]


def _accepted_offer(talk: _Conversation) -> OrderDraft:
    """What the last reply offered (a recommendation, a "did you mean"), if the customer
    just said yes to it; else an empty draft. Nothing is offered otherwise: a "yes" to
    the menu list chooses nothing."""
    if "confirm" not in talk.heard.flags:
        return OrderDraft()
    last = next(
        (
            m.get("content")
            for m in reversed(talk.payload.context.messages)
            if m.get("role") == "assistant"
        ),
        None,
    )
    if not isinstance(last, str):
        return OrderDraft()
    for replies in Replies.every_language(talk.catalog):
        for menu in talk.catalog.menus:
            if replies.did_you_mean(menu) in last:
                return OrderDraft(menu.code)
        for style in talk.catalog.all_styles():
            if talk.draft.menu_code and replies.did_you_mean(style) in last:
                return OrderDraft(style_code=style.code)
        if talk.stage in (GREETING, MENU):
            item = _recommendation(talk)
            if _recommend_line(replies, item) in last:
                return OrderDraft(item.menu.code, item.style_code)
    return OrderDraft()


def _question(talk: _Conversation, state: Stage, draft: OrderDraft) -> str | None:
    replies = talk.replies
    menu = talk.catalog.find_menu(draft.menu_code or "")
    if state in (GREETING, MENU):
        return replies.ask_menu()
    if menu is None:
        return None
    if state == STYLE:
        return replies.ask_style(menu)
    if state == CUSTOM:
        if not _quantity_said(talk, draft):
            return replies.ask_quantity(menu)
        return replies.ask_custom(menu, again=talk.stage == CUSTOM)
    if state == CONFIRM:
        return replies.say("ask_confirm", order=replies.order(draft))
    return None


def _quantity_said(talk: _Conversation, draft: OrderDraft) -> bool:
    """Whether the customer has said how many, in this turn or an earlier one."""
    if _allowed(talk.heard.quantity) or draft.quantity != 1:
        return True
    earlier = [
        text
        for m in talk.payload.context.messages
        if m.get("role") == "user" and isinstance(text := m.get("content"), str)
    ]
    # A refused "42" was not an answer: the kiosk still asks how many.
    return any(_allowed(understand(text, talk.catalog, None).quantity) for text in earlier)


def _allowed(quantity: int | None) -> bool:
    return quantity is not None and 1 <= quantity <= MAX_QUANTITY


def _recommend_line(replies: Replies, item: Recommendation) -> str:
    return replies.say(
        "recommend",
        menu=replies.name(item.menu),
        price=f"{item.menu.price:,}",
        reason=_reason(replies, item),
    )


def _reason(replies: Replies, item: Recommendation) -> str:
    if item.why == "event" and item.event is not None:
        return replies.say(
            "reason_event",
            event=replies.event_title(item.event),
            discount=item.event.get("discount_percent", 0),
        )
    return replies.say(f"reason_{item.why}")


def _suggestion(replies: Replies, item: Recommendation) -> dict[str, Any]:
    return {
        "code": item.menu.code,
        "name": replies.name(item.menu),
        "description": replies.description(item.menu),
        "price": item.menu.price,
        "reason": _reason(replies, item),
    }


def _movement(before: Stage, after: Stage) -> str:
    step = STAGE_ORDER.index(after) - STAGE_ORDER.index(before)
    return "advance" if step > 0 else "back" if step < 0 else "stay"


def _style_index(menu: Menu | None, code: str | None) -> int | None:
    if menu is None or code is None:
        return None
    return next((i for i, s in enumerate(menu.styles) if s.code == code), None)


def _read_draft(state: dict[str, Any], catalog: Catalog) -> OrderDraft:
    """The current order, keeping only what the catalog knows (the context may be stale)."""
    menu = catalog.find_menu(str(state.get("menu_code") or ""))
    style = state.get("style_code")
    quantity = state.get("quantity")
    customizations = state.get("customizations") or {}
    ingredients = {i.code for i in menu.ingredients} if menu else set()
    return OrderDraft(
        menu.code if menu else None,
        style if menu and isinstance(style, str) and menu.allowed_style(style) else None,
        quantity if isinstance(quantity, int) and 1 <= quantity <= MAX_QUANTITY else 1,
        {
            k: v
            for k, v in customizations.items()
            if k in ingredients and isinstance(v, int) and 0 <= v <= MAX_INGREDIENT_QUANTITY
        },
    )
