"""Talking to the rules engine: one line, or a conversation the way the service drives it.

Each turn sends the session's ``messages``, ``stage`` and ``order_state``;
the engine's result is read and turned into a proposal by the voice service's
own code, and ``domain.turns.apply_turn`` applies it. The service itself runs
this corpus end to end in ``tests/voice/test_dialogue_corpus.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ai_worker.engines.llm_rules import RulesLLMEngine
from bus.ai_messages import LlmResult
from domain.conversation import ConversationSession
from domain.turns import apply_turn
from quart_app.services.voice.reply import proposal_from
from tests.support.ai_catalog import CATALOG, as_catalog, llm_payload

ENGLISH_GRAND = {"menu_code": "english", "style_code": "grand", "quantity": 1, "customizations": {}}
"""A draft for one English dinner in grand style, as ``context.order_state``."""


@dataclass
class Conversation:
    """Where a scripted conversation ended."""

    session: ConversationSession
    placed: bool = False
    cancelled: bool = False
    replies: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


async def converse(
    lines: list[str],
    *,
    history: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Conversation:
    """Say ``lines`` one by one; return the session and what happened."""
    catalog = as_catalog(CATALOG)
    user_id = "42" if history else None
    talk = Conversation(ConversationSession.start("s-1", user_id, owner="owner", now=0.0))
    engine = RulesLLMEngine()
    for line in lines:
        session = talk.session
        payload = llm_payload(
            line,
            stage=session.stage.value,
            order_state=session.order_state.to_dict(),
            messages=[dict(m) for m in session.messages],
            history=history,
            events=events,
            user_id=user_id,
        )
        result = await engine.run(payload)
        talk.replies.append(result)
        session.add_message("user", line, now=0.0)
        session.add_message("assistant", result["response"], now=0.0)
        outcome = apply_turn(session, proposal_from(LlmResult.model_validate(result)), catalog)
        talk.ignored.extend(outcome.ignored)
        if outcome.place_order:
            session.complete("order-1")
            talk.placed = True
        talk.cancelled = talk.cancelled or outcome.cancelled
    return talk


async def ask_rules(transcript: str, **context: Any) -> dict[str, Any]:
    """The rules engine's result for ``transcript`` said in ``context`` (see ``llm_payload``)."""
    return await RulesLLMEngine().run(llm_payload(transcript, **context))
