"""The draft order after a turn: the service's draft plus what the customer just said.

Whatever the catalog refuses (a style the menu doesn't have, an ingredient it
doesn't come with, a quantity out of range) is left out of the draft and
becomes a note to the customer on the :class:`~ai_worker.llm.turn.Talk`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ai_worker.llm.recommend import offers, usual_order
from ai_worker.llm.replies import Replies
from ai_worker.llm.turn import Talk
from ai_worker.llm.understanding import Change, ChangeOp, Understanding, understand
from domain.catalog import (
    MAX_INGREDIENT_QUANTITY,
    MAX_QUANTITY,
    Ingredient,
    Menu,
    Style,
    quantity_allowed,
)
from domain.draft import OrderDraft
from domain.stages import Stage


def updated_draft(talk: Talk) -> OrderDraft:
    """The draft with what was said in this turn applied, as far as the catalog allows."""
    talk.heard = heard = resumed(talk)
    say, catalog = talk.replies.say, talk.catalog
    draft = replace(talk.draft, customizations=dict(talk.draft.customizations))
    if "usual" in heard.flags:
        draft = usual_order(catalog, talk.context.order_history) or draft
    offer = accepted_offer(talk)
    menu_code = heard.menu_code or offer.menu_code
    if menu_code is not None and menu_code != draft.menu_code:
        draft.menu_code, draft.customizations = menu_code, {}
        if not catalog.menu(menu_code).allowed_style(draft.style_code or ""):
            draft.style_code = None
    style_code = heard.style_code or offer.style_code
    menu = catalog.find_menu(draft.menu_code or "")
    if menu is None and (style_code is not None or heard.changes):
        if heard.menu_guess is None:  # else held until the menu asked back is answered
            talk.notes.append(say("choose_menu_first"))
        return draft
    if style_code is not None and menu is not None:
        if menu.allowed_style(style_code):
            draft.style_code = style_code
        else:
            talk.notes.append(
                say(
                    "style_not_allowed",
                    menu=talk.replies.name(menu),
                    style=talk.replies.name(catalog.offered_style(style_code)),
                    styles=talk.replies.style_names(menu),
                )
            )
    if heard.quantity is not None:
        if quantity_allowed(heard.quantity):
            draft.quantity = heard.quantity
        else:
            talk.notes.append(say("quantity_range", maximum=MAX_QUANTITY))
    if heard.vague_quantity:
        talk.notes.append(say("quantity_vague"))
    if menu is not None:
        for change in heard.changes or _answer_to_item_asked(talk, menu):
            _apply_change(talk, menu, draft, change)
    return draft


_ITEM_ANSWERS: tuple[tuple[re.Pattern[str], ChangeOp], ...] = (
    (re.compile(r"(?:some\s+)?(?:more|extra|add(?:\s+(?:more|some|it))?)|추가|더"), "add"),
    (re.compile(r"(?:a\s+(?:bit|little)\s+)?(?:less|fewer)|줄여|줄이|덜|적게"), "less"),
    (re.compile(r"none|no\s+more|remove\s+it|take\s+it\s+out|without\s+it|빼|없이"), "remove"),
)
_ANSWER_AROUND = re.compile(
    r"^(?:(?:just|oh|um|uh|well)\s+)?(?P<answer>.+?)"
    r"(?:\s*(?:please|thanks|thank\s+you|해|해서)?\s*(?:주세요|줘요|줘|할게요|요)?)?$"
)


def _answer_to_item_asked(talk: Talk, menu: Menu) -> list[Change]:
    """A bare "more", "less" or "none" (추가, 줄여, 빼) answering the kiosk's own question
    about one ingredient ("What would you like done with the steak: more, less or
    none?"): that ingredient's change. Anything more than the bare answer is read as
    any other sentence."""
    asked = item_asked(talk, menu)
    around = _ANSWER_AROUND.match(talk.heard.text)
    if asked is None or around is None:
        return []
    answer = around.group("answer").strip()
    return [Change(asked.code, op) for pattern, op in _ITEM_ANSWERS if pattern.fullmatch(answer)]


def item_asked(talk: Talk, menu: Menu) -> Ingredient | None:
    """The ingredient of ``menu`` the kiosk's last reply asked about ("What would you
    like done with the steak: more, less or none?"), if it did."""
    last = last_reply(talk)
    if last is None:
        return None
    return next(
        (
            item
            for replies in Replies.every_language(talk.catalog)
            for item in menu.ingredients
            if replies.ask_item(item) in last
        ),
        None,
    )


def _apply_change(talk: Talk, menu: Menu, draft: OrderDraft, change: Change) -> None:
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
    if wanted > MAX_INGREDIENT_QUANTITY:
        # "extra 15 wine" is not 10 wine: the customer is told the limit and asked again.
        talk.notes.append(
            talk.replies.say(
                "ingredient_range",
                ingredient=talk.replies.name(item),
                maximum=MAX_INGREDIENT_QUANTITY,
            )
        )
        talk.change_refused = True
        return
    draft.customizations[item.code] = max(wanted, 0)


def resumed(talk: Talk) -> Understanding:
    """What was heard, with the sentence a "did you mean" held back, once it is answered yes.

    "one frnech dinner, deluxe style" is asked back ("Did you mean the French
    Dinner?"); the "yes" to it takes the French Dinner with the one and the deluxe
    said before, and a name still unsure in that sentence is asked back next.
    """
    heard = talk.heard
    last = last_reply(talk)
    if "confirm" not in heard.flags or last is None:
        return heard
    checked = line_checked(talk)
    if checked is not None:
        # "Did I hear that right: no champagne?" answered yes: that line is taken.
        return replace(
            heard,
            menu_code=heard.menu_code or checked.menu_code,
            style_code=heard.style_code or checked.style_code,
            quantity=heard.quantity if heard.quantity is not None else checked.quantity,
            changes=[*checked.changes, *heard.changes],
            changes_checked=True,
        )
    names: tuple[Menu | Style, ...] = (*talk.catalog.menus, *talk.catalog.all_styles())
    asked = next(
        (
            item.code
            for replies in Replies.every_language(talk.catalog)
            for item in names
            if replies.did_you_mean(item) in last
        ),
        None,
    )
    said = [m.content for m in talk.context.messages if m.role == "user"]
    if asked is None or not said:
        return heard
    before = understand(said[-1], talk.catalog, heard.language)
    menu_guess, style_guess = before.menu_guess, before.style_guess
    return replace(
        heard,
        menu_code=heard.menu_code or before.menu_code or (asked if asked == menu_guess else None),
        style_code=heard.style_code
        or before.style_code
        or (asked if asked == style_guess else None),
        quantity=heard.quantity if heard.quantity is not None else before.quantity,
        vague_quantity=heard.vague_quantity or before.vague_quantity,
        changes=[*before.changes, *heard.changes],
        menu_guess=None,
        style_guess=style_guess if asked != style_guess else None,
    )


def hearing_check(talk: Talk) -> str | None:
    """The question ending the kiosk's last reply whether it heard changes right, if any."""
    last = last_reply(talk)
    if last is None:
        return None
    asked = (r.hearing_check(last) for r in Replies.every_language(talk.catalog))
    return next((question for question in asked if question), None)


def line_checked(talk: Talk) -> Understanding | None:
    """The customer's line whose changes the kiosk's last reply asks whether it heard
    right: the latest with a change in it (a line not caught may have come between)."""
    if hearing_check(talk) is None:
        return None
    said = (m.content for m in reversed(talk.context.messages) if m.role == "user")
    lines = (understand(line, talk.catalog, talk.heard.language) for line in said)
    return next((line for line in lines if line.changes), None)


def last_reply(talk: Talk) -> str | None:
    """The kiosk's last message in the conversation, if any."""
    return next((m.content for m in reversed(talk.context.messages) if m.role == "assistant"), None)


def accepted_offer(talk: Talk) -> OrderDraft:
    """What the last reply offered (a recommendation, a "did you mean"), if the
    customer just said yes to it; else an empty draft. A "yes" to the menu list
    chooses nothing.

    The offer is in no field of the context, only in the engine's own last
    reply: that one message is read, in every language the engine speaks.
    """
    last = last_reply(talk)
    if ("confirm" not in talk.heard.flags and talk.heard.pick is None) or last is None:
        return OrderDraft()
    catalog = talk.catalog
    for replies in Replies.every_language(catalog):
        for menu in catalog.menus:
            if replies.did_you_mean(menu) in last:
                return OrderDraft(menu.code)
        for style in catalog.all_styles():
            if talk.draft.menu_code and replies.did_you_mean(style) in last:
                return OrderDraft(style_code=style.code)
        if talk.stage in (Stage.GREETING, Stage.MENU_SELECTION):
            context = talk.context
            ranked = offers(catalog, context.order_history, context.active_events, talk.wishes())
            if replies.recommend(ranked[0]) in last:
                # "the second one": of the three offered, first the one recommended.
                item = ranked[min(talk.heard.pick or 0, len(ranked) - 1)]
                return OrderDraft(item.menu.code, item.style_code)
    return OrderDraft()
