"""From an applied turn to the ``VoiceAnalysisResponse``: the domain's state wins over the AI's.

The stage, the draft order and the selections come from the session after
:func:`domain.turns.apply_turn`; the AI contributes its words (``response``,
``intent``, ``analysis``, questions) and its suggestions, re-read from the
catalog so that a made-up name or price never reaches the customer.
"""

from __future__ import annotations

from bus.ai_messages import LlmResult, MenuSuggestion
from domain.catalog import Catalog
from domain.conversation import ConversationSession
from domain.errors import CatalogError
from domain.language import supported
from domain.refusals import refusal_questions
from domain.turns import TurnOutcome, TurnProposal
from quart_app.schemas.voice import OrderState, VoiceAnalysisResponse

MAX_QUESTIONS = 10


def proposal_from(result: LlmResult) -> TurnProposal:
    """The domain's view of what the AI proposes."""
    proposed = result.order_state
    # An empty mapping proposes nothing: the domain would report one proposed
    # before a menu as ignored, and the customer be asked to repeat themself.
    return TurnProposal(
        menu_code=proposed.menu_code,
        style_code=proposed.style_code,
        quantity=result.quantity if result.quantity is not None else proposed.quantity,
        customizations=proposed.customizations or None,
        menu_selection=result.menu_selection,
        style_selection=result.style_selection,
        customization_overrides=result.customization_overrides or None,
        state=result.state.value if result.state is not None else None,
        state_decision=result.state_decision.value if result.state_decision else None,
    )


def build_response(
    session: ConversationSession, result: LlmResult, outcome: TurnOutcome, catalog: Catalog
) -> VoiceAnalysisResponse:
    """The answer to the turn that led to ``outcome``."""
    draft = session.order_state
    menu = catalog.find_menu(draft.menu_code) if draft.menu_code else None
    styles = [style.code for style in menu.styles] if menu else []
    language = session.context.get("language")
    refused = refusal_questions(outcome.ignored, draft, catalog, language)
    return VoiceAnalysisResponse(
        session_id=session.session_id,
        intent=result.intent.value,
        confidence=result.confidence,
        response=" ".join([result.response, *refused]),
        analysis=result.analysis,
        recommended_menu=_from_catalog(result.recommended_menu, catalog, language),
        alternatives=[
            known
            for suggestion in result.alternatives
            if (known := _from_catalog(suggestion, catalog, language)) is not None
        ],
        additional_questions=_questions(result.additional_questions, refused),
        order_state=order_state(session, catalog),
        state=session.stage,
        state_decision=outcome.decision,
        menu_selection=catalog.menus.index(menu) if menu else None,
        style_selection=styles.index(draft.style_code) if draft.style_code in styles else None,
        quantity=draft.quantity,
        customization_overrides=dict(draft.customizations),
        order_id=session.order_id,
    )


def order_state(session: ConversationSession, catalog: Catalog) -> OrderState:
    """The draft order, priced by the catalog once it names a menu and a style."""
    draft = session.order_state
    unit_price = total = None
    if draft.menu_code is not None and draft.style_code is not None:
        try:
            line = catalog.validate_item(
                draft.menu_code, draft.style_code, draft.quantity, draft.customizations
            )
        except CatalogError:  # the catalog changed under a running conversation
            pass
        else:
            unit_price, total = line.unit_price, line.line_total
    return OrderState(
        menu_code=draft.menu_code,
        style_code=draft.style_code,
        quantity=draft.quantity,
        customizations=dict(draft.customizations),
        # The customer's kiosk shows it: in the conversation's language, as the reply is.
        summary=session.get_order_state_summary(
            catalog, supported(session.context.get("language"))
        ),
        image_id=draft.image_id,
        unit_price=unit_price,
        total=total,
    )


def _from_catalog(
    suggestion: MenuSuggestion | None, catalog: Catalog, language: str | None
) -> MenuSuggestion | None:
    menu = catalog.find_menu(suggestion.code) if suggestion else None
    if suggestion is None or menu is None:
        return None
    spoken = supported(language)
    return MenuSuggestion(
        code=menu.code,
        name=menu.name_in(spoken),
        description=menu.description_in(spoken),
        price=menu.price,
        reason=suggestion.reason,
    )


def _questions(asked: list[str], refused: list[str]) -> list[str]:
    return list(dict.fromkeys([*asked, *refused]))[:MAX_QUESTIONS]
