"""Deciding a turn: what the customer's words mean for the conversation.

A cancel, a step back, a question, a "yes", a recommendation asked for, or
part of an order. The engine proposes; the service's domain
(``domain.turns.apply_turn``) decides. So every stage proposed here is one
the stage rules allow for the draft (:mod:`domain.stages`): a menu before
``style_selection``, menu and style before ``customization`` and
``confirmation``, ``confirm`` only at ``confirmation``.
"""

from __future__ import annotations

import re

from ai_worker.llm.draft_update import hearing_check, item_asked, last_reply, updated_draft
from ai_worker.llm.recommend import offers
from ai_worker.llm.replies import Replies
from ai_worker.llm.turn import Talk, Turn
from ai_worker.llm.understanding import Understanding
from domain.catalog import quantity_allowed
from domain.draft import OrderDraft
from domain.stages import Stage, furthest_supported, previous_stage

GREETING, MENU, STYLE, CUSTOM, CONFIRM, COMPLETED = Stage


def decide(talk: Talk) -> tuple[OrderDraft, Turn]:
    """The draft after this turn, and the move the engine proposes."""
    heard, stage, say = talk.heard, talk.stage, talk.replies.say
    if stage == COMPLETED:
        return talk.draft, Turn("completed", COMPLETED, [say("completed")])
    if "cancel" in heard.flags:
        return talk.draft, Turn("cancel", stage, [say("cancelled")], 0.95, "cancel")
    if "back" in heard.flags and not heard.has_order_details:
        return talk.draft, Turn("back", previous_stage(stage) or stage, [say("back")])
    if "detail_inquiry" in heard.flags:
        return talk.draft, _inquiry(talk)

    if _how_many_unanswered(talk):
        # "only one" heard "More wine." (the question's own sample change) to "how
        # many?": no number said, so none is assumed, and the change is not taken
        # as if it were the answer: how many is asked again, for a number.
        menu = talk.catalog.menu(talk.draft.menu_code or "")
        line = talk.replies.say("ask_quantity_number", menu=talk.replies.name(menu))
        return talk.draft, Turn("unknown", CUSTOM, [line], 0.4, asks=True)
    if hearing_check(talk) is not None and _NO_FIRST.match(heard.text):
        # "No" to "Did I hear that right: no champagne?" came back "No wine." (the
        # recognition prompt at the read-back is full of "No wine."): a no, whatever
        # follows it, never a change to ask about next; a change meant is said again.
        return talk.draft, Turn("order", stage, [say("left_as_it_was")])
    draft = updated_draft(talk)
    if heard.menu_guess or (heard.style_guess and draft.menu_code):
        return draft, _ask_back(talk, draft)
    unread = _items_unread(talk, draft)
    if unread and stage in (CUSTOM, CONFIRM) and "detail_inquiry" not in heard.flags:
        # "add champagne and hold the coffee" heard "Add champagne. And the coffee.":
        # the coffee is asked about, not left as it comes and read back for a yes.
        return draft, Turn("order", CUSTOM, [*_noted(talk, draft), unread], asks=True)
    if heard.change_unread and stage in (CUSTOM, CONFIRM):
        # "No wine" heard "No one.": an ingredient not caught, asked for; never 1 dinner
        # read back for a yes.
        rest = talk.replies.say("rest_unread")
        return draft, Turn("order", CUSTOM, [*_noted(talk, draft), rest], asks=True)
    if heard.changes and heard.words_unread >= 2 and stage in (CUSTOM, CONFIRM):
        # "Add champagne. And that will look off it.": the change read is taken, and
        # the rest asked for, not the order read back for a yes.
        rest = talk.replies.say("rest_unread")
        return draft, Turn("order", CUSTOM, [*_noted(talk, draft), rest], asks=True)
    if talk.change_refused:
        # An amount over the limit is asked again at customization, not read back for a yes.
        stage = CUSTOM if draft.is_complete else _stage_after_update(talk, draft)
        return draft, Turn("order", stage, _noted(talk, draft))
    if _number_after_a_change_declined(talk):
        # "More coffee." to "how many?" was not taken: once the number is said, the
        # change is asked for, not the order read back without it for a yes.
        return draft, Turn("order", CUSTOM, [say("ask_change_now")], asks=True)
    changed = _changed(talk, draft)
    if changed and _change_not_asked_for(talk, draft) and not talk.heard.changes_checked:
        # "one of them" heard "Without champagne." in answer to "Shall I place the
        # order?": a change said where none was asked for is asked back before it is
        # taken, so a yes to the read-back never places a change that was never said.
        question = talk.replies.heard_right(changed)
        return talk.draft, Turn("unknown", stage, [question], 0.5, asks=True)
    if draft != talk.draft:
        return draft, Turn("order", _stage_after_update(talk, draft), _noted(talk, draft))
    checked = hearing_check(talk)
    if checked is not None and not heard.has_order_details:
        if "no" in heard.flags and "confirm" not in heard.flags:
            # Not what was said: left as it was, and the stage's question asked again.
            return draft, Turn("order", stage, [say("left_as_it_was")])
        if "confirm" not in heard.flags:
            # Neither yes nor no: asked again, never the order read back for a yes.
            return draft, Turn("unknown", stage, [say("not_understood"), checked], 0.3, asks=True)
    if stage == CONFIRM and _correction_not_caught(heard):
        # "Actually, make it six" heard "Actually, make it sick.": the change is asked
        # for, never the order read back again for a yes.
        lines = [say("not_understood"), say("correction_unread")]
        return draft, Turn("change", CUSTOM, lines, 0.3, asks=True)
    if stage == CONFIRM and heard.quantity == draft.quantity and not heard.correction:
        # "일 인분 주세요" to "1개, ... 주문할까요?": the number read back said again is
        # no line not caught (which would leave how many unclear); read back again.
        return draft, Turn("order", CONFIRM)
    if heard.flags & {"confirm", "done", "no"} or (heard.quantity is not None and stage == CUSTOM):
        # "just one" when asked how many, "yes" to the order read back: agreement.
        return draft, _agreement(talk)
    if "recommend" in heard.flags and heard.words_unread and not talk.wishes():
        # "I don't think, what's good?" ("I don't drink"): what the dinner should suit
        # may be in the words not caught; asked, not the first pick offered for a yes.
        return draft, Turn("unknown", _past_greeting(stage), [say("wish_unread")], 0.4, asks=True)
    if "recommend" in heard.flags:
        context = talk.context
        ranked = offers(talk.catalog, context.order_history, context.active_events, talk.wishes())
        lines = [talk.replies.recommend(ranked[0])]
        if len(ranked) > 1:
            lines.append(talk.replies.recommend_also(ranked[1:]))
        lines.append(say("recommend_accept"))
        return draft, Turn("recommendation", _past_greeting(stage), lines, recommended=ranked)
    if "inquiry" in heard.flags:
        return draft, _inquiry(talk)
    if "change_menu" in heard.flags and stage != GREETING:
        return draft, Turn("change", MENU, [say("change")])
    if "change_style" in heard.flags and draft.menu_code and stage not in (GREETING, MENU):
        return draft, Turn("change", STYLE, [say("change")])
    if "greeting" in heard.flags:
        return draft, Turn("greeting", _past_greeting(stage), [say("welcome")])
    lines = [] if talk.notes else [say("not_understood")]
    asked = _change_asked(talk) if stage == CUSTOM and draft.is_complete else None
    if asked is not None:
        # "None." heard "It's all good." to "more, less or none?": the question stays
        # open, asked again, not dropped for "anything else?" and a read-back.
        return draft, Turn("unknown", CUSTOM, [*lines, asked], 0.3, asks=True)
    if draft.is_complete and talk.quantity_heard(draft) == "unclear":
        # "Wait for the name" may have been "four of them": how many is asked again,
        # not the order read back for a yes.
        return draft, Turn("unknown", CUSTOM, lines, 0.3)
    return draft, Turn("unknown", _past_greeting(stage), lines, 0.3)


_NO_FIRST = re.compile(r"^(?:no|nope|아니요|아뇨|아니)(?![a-z'])")


def _past_greeting(stage: Stage) -> Stage:
    """Any answer to the greeting moves on to choosing a dinner."""
    return MENU if stage == GREETING else stage


def _changed(talk: Talk, draft: OrderDraft) -> list[str]:
    """The ingredient changes this turn made, as a person says them ("no steak")."""
    before = talk.draft.customizations
    changed = {code: n for code, n in draft.customizations.items() if before.get(code) != n}
    if not changed:
        return []
    menu = talk.catalog.menu(draft.menu_code or "")
    return [talk.replies.change(menu, code, n) for code, n in changed.items()]


def _change_not_asked_for(talk: Talk, draft: OrderDraft) -> bool:
    """Whether this turn's changes answer a question that asked for none: the order
    read back ("Shall I place the order?"), or what to do with another ingredient."""
    if talk.stage == CONFIRM:
        return True
    menu = talk.catalog.find_menu(draft.menu_code or "")
    asked = item_asked(talk, menu) if talk.stage == CUSTOM and menu is not None else None
    before = talk.draft.customizations
    codes = {code for code, n in draft.customizations.items() if before.get(code) != n}
    return asked is not None and codes != {asked.code}


def _noted(talk: Talk, draft: OrderDraft) -> list[str]:
    """Reading back the ingredient changes this turn made."""
    changed = _changed(talk, draft)
    return [talk.replies.say("noted", changes=", ".join(changed))] if changed else []


def _agreement(talk: Talk) -> Turn:
    """A "yes", "no" or "that's all" with nothing else in it."""
    stage, say, draft = talk.stage, talk.replies.say, talk.draft
    flags = talk.heard.flags
    # "that's all" to the order read back agrees to it; a bare "no" does not.
    agreed = "confirm" in flags or ("done" in flags and "no" not in flags)
    if stage == CONFIRM and draft.is_complete:
        if agreed:
            order = talk.replies.order(draft)
            return Turn("confirm", CONFIRM, [say("confirmed", order=order)], 0.95, "confirm")
        return Turn("change", CUSTOM, [say("change")])
    if stage == CUSTOM and draft.is_complete:
        asked = _change_asked(talk)
        if asked is not None and "confirm" in flags:
            # "yes" is no answer to "more, less or none?" or "what else?": asked again.
            return Turn("unknown", CUSTOM, [asked], 0.4, asks=True)
        if talk.quantity_heard(draft) == "unclear":
            # "yes" to "how many?" after "a few" or "two dozen" says no number: ask again.
            return Turn("unknown", CUSTOM, confidence=0.4)
        return Turn("confirm" if agreed else "order", CONFIRM)
    if stage == GREETING:
        return Turn("greeting", MENU)
    return Turn("unknown", stage, [say("not_understood")], 0.4)


def _correction_not_caught(heard: Understanding) -> bool:
    """A correction's words with nothing read that it changes (a "no" at most)."""
    return (
        heard.correction
        and not heard.has_order_details
        and not heard.flags - {"no"}
        and not (heard.menu_guess or heard.style_guess or heard.number_homophone)
    )


_NOT_ABOUT_HOW_MANY = {"recommend", "inquiry", "change_menu", "change_style", "usual"}


def _how_many_unanswered(talk: Talk) -> bool:
    """Whether this line answers the kiosk's "how many?" with no number: a change, a
    yes, or "that's all"; not a line naming a dinner or a style, a question, a word
    that may be a number, or nothing understood (each answered as before). Asked
    again after an answer it could not read ("I am." for "five"), or after "a few",
    the question is as open as when nobody had said a number."""
    heard, draft = talk.heard, talk.draft
    return (
        talk.stage == CUSTOM
        and draft.is_complete
        and talk.quantity_heard(draft) != "said"
        and talk.how_many_just_asked(draft)
        and heard.quantity is None
        and not (heard.vague_quantity or heard.number_homophone or heard.understood_nothing)
        and not (heard.menu_code or heard.style_code or heard.menu_guess or heard.style_guess)
        and not heard.flags & _NOT_ABOUT_HOW_MANY
    )


def _number_after_a_change_declined(talk: Talk) -> bool:
    """Whether this line answers "how many?" with a number, and nothing else, after a
    change said in answer to it was not taken."""
    heard, draft = talk.heard, talk.draft
    return (
        talk.stage == CUSTOM
        and quantity_allowed(heard.quantity)
        and not heard.changes
        and talk.how_many_just_asked(draft)
        and talk.change_declined(draft)
    )


def _items_unread(talk: Talk, draft: OrderDraft) -> str | None:
    """The question about the first ingredient of the draft's menu named with no change."""
    menu = talk.catalog.find_menu(draft.menu_code or "")
    if menu is None:
        return None
    named = [i for i in menu.ingredients if i.code in talk.heard.items_unread]
    return talk.replies.ask_item(named[0]) if named else None


def _change_asked(talk: Talk) -> str | None:
    """The question about a change the kiosk's last reply asked, if it did: about an
    ingredient, or about the rest of a sentence not caught."""
    menu = talk.catalog.find_menu(talk.draft.menu_code or "")
    last = last_reply(talk)
    if menu is None or last is None:
        return None
    questions = [
        question
        for replies in Replies.every_language(talk.catalog)
        for question in (
            replies.say("rest_unread"),
            replies.say("correction_unread"),
            *(replies.ask_item(item) for item in menu.ingredients),
        )
    ]
    return next((q for q in questions if q in last), None)


def _ask_back(talk: Talk, draft: OrderDraft) -> Turn:
    """A name nearly heard: "Did you mean the French Dinner?", and not taken."""
    heard, replies = talk.heard, talk.replies
    if heard.menu_guess:
        line = replies.did_you_mean(talk.catalog.menu(heard.menu_guess))
    else:
        line = replies.did_you_mean(talk.catalog.offered_style(heard.style_guess or ""))
    return Turn("unknown", _stage_after_update(talk, draft), [line], 0.5, asks=True)


def _inquiry(talk: Talk) -> Turn:
    target = _past_greeting(talk.stage)
    menu = talk.catalog.find_menu(talk.heard.menu_code or talk.draft.menu_code or "")
    if "detail_inquiry" in talk.heard.flags and menu is not None:
        return Turn("inquiry", target, [talk.replies.describe(menu)])
    return Turn("inquiry", target, [] if target == MENU else [talk.replies.ask_menu()])


def _stage_after_update(talk: Talk, draft: OrderDraft) -> Stage:
    """Where the conversation goes once ``draft`` holds what was said."""
    if not draft.is_complete:
        # The first stage whose answer is still missing: the menu, else the style.
        return furthest_supported(CONFIRM, draft)
    heard = talk.heard
    if "usual" in heard.flags:
        return CONFIRM  # the quantity is the last order's
    quantity = talk.quantity_heard(draft)
    if quantity == "unclear" or (quantity == "unsaid" and not talk.quantity_asked(draft)):
        # "a few", a refused "two dozen", or no number at all: ask how many, never
        # take 1 for it.
        return CUSTOM
    if quantity == "unsaid" and talk.how_many_just_asked(draft):
        # Asked how many and answered with another detail ("make it grand"): still
        # asked, never 1 read back.
        return CUSTOM
    if talk.stage in (CUSTOM, CONFIRM):
        # A change is read back at once, and a "yes" to that places the order.
        return CONFIRM
    # The whole order in one sentence ("two French dinners, grand style") goes
    # straight to confirmation; a style given on its own leaves room to customize.
    in_one_go = bool(heard.menu_code and heard.style_code) or bool(heard.changes)
    return CONFIRM if in_one_go else CUSTOM
