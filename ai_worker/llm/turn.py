"""What one turn of the rules engine reads, and what it decides to do.

:class:`Talk` is the request read once: the stage and draft the service sent,
what the customer's words say (:mod:`ai_worker.llm.understanding`), and the
sentences to answer with. :class:`Turn` is the move decided
(:mod:`ai_worker.llm.decide`), which :mod:`ai_worker.llm.render` turns into
the ``llm`` result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from itertools import pairwise
from typing import Literal

from ai_worker.llm.recommend import Recommendation
from ai_worker.llm.replies import Replies
from ai_worker.llm.understanding import Understanding, Wishes, understand
from bus.ai_messages import LlmContext
from domain.catalog import Catalog, Menu, quantity_allowed
from domain.draft import OrderDraft
from domain.stages import Stage

QuantityHeard = Literal["said", "unclear", "unsaid"]


@dataclass(slots=True)
class Talk:
    """The request of one turn, read: where the conversation stands and what was said."""

    stage: Stage
    draft: OrderDraft
    """The draft the service holds, as far as the catalog still knows it."""
    heard: Understanding
    catalog: Catalog
    replies: Replies
    context: LlmContext
    notes: list[str] = field(default_factory=list)
    """Sentences about what was said and can't be taken ("We can make 1 to 20 ...")."""
    change_refused: bool = False
    """An ingredient amount was over the limit: refused and asked again, never clamped."""

    def quantity_said(self, draft: OrderDraft) -> bool:
        """Whether the customer has said how many, exactly and in range."""
        return self.quantity_heard(draft) == "said"

    def quantity_heard(self, draft: OrderDraft) -> QuantityHeard:
        """How the customer has said how many: ``said`` (a number the kiosk takes),
        ``unclear`` (the latest was vague, "a few", refused, "two dozen", or may have
        been a number misheard), or ``unsaid``.

        A quantity other than 1 in the draft was said, unless the kiosk has just
        asked how many again after a number it could not take ("a few" or "two,
        one" said to the read-back of 4). A draft's 1 is also what nobody said (the
        draft has no "not said"). In those cases the customer's earlier messages
        are read, newest first; one read as nothing leaves only a draft's 1 unclear
        (a number said and read back stands).
        """
        messages = self.context.messages
        asked = self._asked_how_many(len(messages), draft)
        said = [(self.heard, asked, True)]
        if draft.quantity == 1 or asked:
            said += [
                (
                    understand(message.content, self.catalog, None),
                    self._asked_how_many(at, draft),
                    not self._not_caught(at),
                )
                for at, message in reversed(list(enumerate(messages)))
                if message.role == "user"
            ]
        for heard, after_how_many, caught in said:
            if quantity_allowed(heard.quantity) and caught:
                return "said"
            if heard.quantity is not None or heard.vague_quantity:
                return "unclear"
            if (
                heard.understood_nothing
                and (heard.number_homophone or after_how_many)
                and (heard is self.heard or draft.quantity == 1)
            ):
                # "Wait for the name" ("four of them"), or "I am." to "how many?"
                # ("five"): nothing read, and it may have been the number.
                return "unclear"
        return "said" if draft.quantity != 1 else "unsaid"

    def how_many_just_asked(self, draft: OrderDraft) -> bool:
        """Whether the kiosk's last reply asked how many of the draft's menu."""
        return self._asked_how_many(len(self.context.messages), draft)

    def change_declined(self, draft: OrderDraft) -> bool:
        """Whether a change said in answer to "how many?" was not taken ("How many ...?
        Please say a number."): it is asked for once the number is said."""
        menu = self.catalog.find_menu(draft.menu_code or "")
        if menu is None:
            return False
        asked = [
            replies.say("ask_quantity_number", menu=replies.name(menu))
            for replies in Replies.every_language(self.catalog)
        ]
        messages = self.context.messages
        return any(
            said.role == "user"
            and any(question in answer.content for question in asked)
            and bool(understand(said.content, self.catalog, None).changes)
            for said, answer in pairwise(messages)
        )

    def _not_caught(self, at: int) -> bool:
        """Whether the kiosk answered message ``at`` that it didn't catch it: nothing of
        it was taken then ("Third round. One." for "The Grand one"), so no number in it
        counts as said later (though it may leave how many unclear)."""
        answer = self.context.messages[at + 1 : at + 2]
        return (
            bool(answer)
            and answer[0].role == "assistant"
            and any(
                answer[0].content.startswith(replies.say("not_understood"))
                for replies in Replies.every_language(self.catalog)
            )
        )

    def _asked_how_many(self, at: int, draft: OrderDraft) -> bool:
        """Whether the kiosk's message last before message ``at`` asked how many."""
        menu = self.catalog.find_menu(draft.menu_code or "")
        before = (m for m in reversed(self.context.messages[:at]) if m.role == "assistant")
        last = next(before, None)
        return menu is not None and last is not None and self._asks_how_many(last.content, menu)

    def _asks_how_many(self, message: str, menu: Menu) -> bool:
        # "How many French Dinner would you like?", alone or asked again for a number.
        return any(
            replies.ask_quantity(menu) in message
            for replies in Replies.every_language(self.catalog)
        )

    def wishes(self) -> Wishes:
        """What the customer has said a recommendation should fit, in this conversation."""
        said = [
            understand(message.content, self.catalog, None).wishes
            for message in self.context.messages
            if message.role == "user"
        ]
        return reduce(Wishes.joined, [*said, self.heard.wishes], Wishes())

    def quantity_asked(self, draft: OrderDraft) -> bool:
        """Whether the kiosk has already asked how many of the draft's menu: the
        customization stage asks it, the confirmation reads the number back, and a
        step back from them keeps that said in the messages."""
        if self.stage in (Stage.CUSTOMIZATION, Stage.CONFIRMATION):
            return True
        menu = self.catalog.find_menu(draft.menu_code or "")
        if menu is None:
            return False
        return any(
            self._asks_how_many(message.content, menu)
            for message in self.context.messages
            if message.role == "assistant"
        )


@dataclass(slots=True)
class Turn:
    """The move the engine proposes: its intent, the stage it aims at, what it says."""

    intent: str
    state: Stage
    lines: list[str] = field(default_factory=list)
    confidence: float = 0.9
    decision: str | None = None
    """``confirm`` or ``cancel``; otherwise the stage's movement says it."""
    recommended: list[Recommendation] = field(default_factory=list)
    asks: bool = False
    """The lines end in their own question; the stage's question is not added."""
