"""The analyze flow: one utterance in, one validated, applied and saved turn out.

The AI is asked before anything changes, so a failed or malformed answer
leaves the conversation as it was; the turn is then applied to the domain
session (which takes only what the catalog and the stage rules allow), the
order placed when the customer confirms a complete one, and the session saved.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from domain.catalog import Catalog
from domain.conversation import ConversationSession
from domain.language import conversation_language
from domain.speech_hints import recognition_prompt
from domain.stages import Stage
from domain.turns import apply_turn
from quart_app.schemas.voice import VoiceAnalysisResponse, VoiceInputRequest
from quart_app.services.orders.service import ChosenLine
from quart_app.services.signals import announce, turn_analyzed
from quart_app.services.voice.ai_client import AIClient
from quart_app.services.voice.context import LlmContextBuilder
from quart_app.services.voice.data_source import VoiceData
from quart_app.services.voice.errors import (
    IncompleteDraft,
    SessionCompleted,
    SessionNotConfirmed,
)
from quart_app.services.voice.reply import build_response, proposal_from
from quart_app.services.voice.sessions import SessionStore

OrderPermit = Callable[[], Awaitable[None]]
"""Asked just before a turn places the order its customer confirmed; it raises to refuse
(a caller who may not order, or is over budget), and the conversation stays at
confirmation."""


class VoiceService:
    """Runs conversation turns and places the orders they confirm."""

    def __init__(
        self,
        ai: AIClient,
        store: SessionStore,
        data: VoiceData,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ai = ai
        self._store = store
        self._data = data
        self._clock = clock
        self._context = LlmContextBuilder(data, clock=clock)

    async def analyze(
        self, request: VoiceInputRequest, user_id: str | None, *, permit: OrderPermit
    ) -> VoiceAnalysisResponse:
        """Answer one utterance of ``user_id`` (``None``: a guest), starting a
        conversation when ``session_id`` is null.

        A conversation that has placed its order takes no more turns (409
        ``session_completed``): whoever still holds its id can no longer speak
        in it, nor read the order back through it. A turn that would place the
        order asks ``permit`` first.
        """
        if request.session_id is None:
            return await self._turn(self._store.start(user_id), request.transcript, permit)
        async with self._store.turn(request.session_id, user_id) as session:
            return await self._turn(_open(session), request.transcript, permit)

    async def start(self, user_id: str | None) -> str:
        """Start and store a conversation of ``user_id`` (``None``: a guest); its id."""
        session = self._store.start(user_id)
        await self._store.save(session)
        return session.session_id

    async def recognition_prompt(
        self, language: str | None, session_id: str | None, user_id: str | None
    ) -> str:
        """The ``stt`` request's ``prompt``: the catalog's names and numbers in ``language``
        (else the conversation's), sharpened by the stage of ``session_id`` if given
        (a conversation of ``user_id``, ``None`` for a guest)."""
        catalog = await self._data.catalog()
        if session_id is None:
            return recognition_prompt(catalog, language)
        session = await self._store.read(session_id, user_id)
        spoken = language or session.context.get("language")
        return recognition_prompt(catalog, spoken, session.stage, session.order_state)

    async def place_order_from_session(self, session_id: str, user_id: str | None) -> str:
        """Place the order a conversation has reached ``confirmation`` with; return its id.

        For ``POST /api/orders {"session_id"}``: the caller ``user_id`` is the
        member the token names, or ``None`` for a guest without a token.
        :class:`SessionNotConfirmed` unless the conversation is at
        ``confirmation`` with a complete order; a conversation that already
        placed its order returns that order's id.
        """
        async with self._store.turn(session_id, user_id) as session:
            if session.order_id is not None:
                return session.order_id
            if session.stage != Stage.CONFIRMATION or not session.order_state.is_complete:
                raise SessionNotConfirmed(session.stage.value)
            order_id = await self._place(session, await self._data.catalog())
            await self._store.save(session)
            return order_id

    async def speaker(self, session_id: str, user_id: str | None) -> str | None:
        """Whom caller ``user_id`` (``None``: a guest) speaks as in conversation ``session_id``:
        ``None`` in a guest's (holding the id is enough), its member in a member's (the
        caller must be that member).

        404 ``session_not_found`` or 403 ``session_forbidden`` as for a turn;
        409 ``session_completed`` once it has placed its order.
        """
        return _open(await self._store.read(session_id, user_id)).user_id

    async def attach_image(self, session_id: str, user_id: str | None, image_id: str) -> None:
        """Make ``image_id`` the cake picture of the conversation's order (``speaker`` first)."""
        async with self._store.turn(session_id, user_id) as session:
            _open(session).attach_image(image_id)
            await self._store.save(session)

    async def _turn(
        self, session: ConversationSession, transcript: str, permit: OrderPermit
    ) -> VoiceAnalysisResponse:
        catalog = await self._data.catalog()
        context = await self._context.build(session, catalog)
        result = await self._ai.send_llm_request(transcript, session, context)
        now = self._clock()
        said = [m["content"] for m in session.messages if m["role"] == "user"]
        language = conversation_language([*said, transcript], session.context.get("language"))
        session.update_context(language=language)
        session.add_message("user", transcript, now)
        outcome = apply_turn(session, proposal_from(result), catalog)
        if outcome.place_order:
            await permit()  # a refusal leaves the conversation as it was, at confirmation
            await self._place(session, catalog)
        answer = build_response(session, result, outcome, catalog)
        session.add_message("assistant", answer.response, now)
        await self._store.save(session)
        if turn_analyzed.receivers:  # the answer is dumped again only for a listener
            await announce(
                turn_analyzed,
                self,
                session_id=session.session_id,
                user_id=session.user_id,
                transcript=transcript,
                answer=answer.model_dump(mode="json"),
            )
        return answer

    async def _place(self, session: ConversationSession, catalog: Catalog) -> str:
        draft = session.order_state
        if draft.menu_code is None or draft.style_code is None:
            raise IncompleteDraft()
        # The catalog may have changed since the turn that chose them: refuse early.
        catalog.validate_item(
            draft.menu_code, draft.style_code, draft.quantity, draft.customizations
        )
        line = ChosenLine(
            draft.menu_code, draft.style_code, draft.quantity, draft.customizations, draft.image_id
        )
        order_id = await self._data.place_order(
            session.user_id, [line], session_id=session.session_id
        )
        session.complete(order_id)
        return order_id


def _open(session: ConversationSession) -> ConversationSession:
    """``session`` unless it has placed its order (409 ``session_completed``)."""
    if session.order_id is not None:
        raise SessionCompleted()
    return session
