"""The ``context`` of an ``llm`` request (``docs/ai-messages.md``): session, history, catalog."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from bus.ai_messages import AICatalog
from domain.catalog import Catalog
from domain.conversation import ConversationSession
from quart_app.services.voice.data_source import EMPTY_HISTORY, VoiceData


class LlmContextBuilder:
    """Builds each turn's context: session state, member history, promotions, catalog."""

    def __init__(self, data: VoiceData, *, clock: Callable[[], float] = time.time) -> None:
        self._data = data
        self._clock = clock
        self._catalog_context: tuple[Catalog, orjson.Fragment] | None = None

    async def build(self, session: ConversationSession, catalog: Catalog) -> dict[str, Any]:
        """The context for the next utterance of ``session``.

        ``catalog`` is JSON already (an :class:`orjson.Fragment`), and
        ``messages`` is the session's own list, not a copy: the request is
        serialized before the turn, which holds the session, changes it.
        """
        order_history = await self._order_history(session.user_id)
        active_events = await self._data.active_events(self._clock())
        return {
            "messages": session.messages,
            "stage": session.stage.value,
            "order_state": session.order_state.to_dict(),
            "context_summary": session.get_context_summary(catalog),
            "order_state_summary": session.get_order_state_summary(catalog),
            "order_history": order_history,
            "active_events": active_events,
            "catalog": self._catalog_as_context(catalog),
            "language": session.context.get("language"),
        }

    async def _order_history(self, user_id: str | None) -> dict[str, Any]:
        if user_id is None:  # a guest
            return dict(EMPTY_HISTORY)
        return await self._data.order_history(user_id)

    def _catalog_as_context(self, catalog: Catalog) -> orjson.Fragment:
        # The catalog is cached upstream and rarely changes: serialize it once per
        # version rather than with every request.
        cached = self._catalog_context
        if cached is None or cached[0] is not catalog:
            cached = (catalog, orjson.Fragment(orjson.dumps(AICatalog.of(catalog).model_dump())))
            self._catalog_context = cached
        return cached[1]
