"""One turn of the rules engine: from what was heard to the ``llm`` result.

Read the request (:class:`~ai_worker.llm.turn.Talk`), decide the turn
(:mod:`ai_worker.llm.decide`, which updates the draft through
:mod:`ai_worker.llm.draft_update`), render it (:mod:`ai_worker.llm.render`).
"""

from __future__ import annotations

from typing import Any

from ai_worker.llm.decide import decide
from ai_worker.llm.render import render
from ai_worker.llm.replies import Replies
from ai_worker.llm.turn import Talk
from ai_worker.llm.understanding import understand
from bus.ai_messages import LlmPayload
from domain.catalog import Catalog
from domain.draft import OrderDraft
from domain.language import conversation_language


def respond(payload: LlmPayload, catalog: Catalog) -> dict[str, Any]:
    """The ``llm`` result for ``payload``: pure and deterministic."""
    context = payload.context
    heard = understand(payload.transcript, catalog, context.language)
    said = [m.content for m in context.messages if m.role == "user"]
    heard.language = conversation_language([*said, payload.transcript], context.language)
    talk = Talk(
        stage=context.stage,
        draft=OrderDraft.known_to(catalog, context.order_state.model_dump()),
        heard=heard,
        catalog=catalog,
        replies=Replies(heard.language, catalog),
        context=context,
    )
    draft, turn = decide(talk)
    return render(talk, draft, turn)
