"""What one turn of the rules engine reads, and what it decides to do.

:class:`Talk` is the request read once: the stage and draft the service sent,
what the customer's words say (:mod:`ai_worker.llm.understanding`), and the
sentences to answer with. :class:`Turn` is the move decided
(:mod:`ai_worker.llm.decide`), which :mod:`ai_worker.llm.render` turns into
the ``llm`` result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ai_worker.llm.recommend import Recommendation
from ai_worker.llm.replies import Replies
from ai_worker.llm.understanding import Understanding, understand
from bus.ai_messages import LlmContext
from domain.catalog import Catalog, quantity_allowed
from domain.draft import OrderDraft
from domain.stages import Stage


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

    def quantity_said(self, draft: OrderDraft) -> bool:
        """Whether the customer has said how many, in this turn or an earlier one.

        A quantity other than 1 in the draft was said. A draft's 1 is also what
        nobody said (the draft has no "not said"), so only then are the
        customer's earlier messages read, newest first, for a number the kiosk
        accepted: a refused "42" was not an answer, and the kiosk still asks.
        """
        if quantity_allowed(self.heard.quantity) or draft.quantity != 1:
            return True
        return any(
            quantity_allowed(understand(message.content, self.catalog, None).quantity)
            for message in reversed(self.context.messages)
            if message.role == "user"
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
