"""A conversation's draft carries its cake picture through turns, storage and confirmation."""

from __future__ import annotations

import pytest

from domain import Catalog, ConversationSession, Decision, Stage, TurnProposal, apply_turn
from domain.errors import FieldError, SessionClosed
from tests.support.domain_samples import session_at


def test_the_picture_stays_through_turns_and_the_order_can_still_be_confirmed(
    catalog: Catalog,
) -> None:
    session = session_at(Stage.CONFIRMATION)
    session.attach_image("pic-1")
    apply_turn(session, TurnProposal(quantity=2), catalog)
    assert (session.order_state.image_id, session.order_state.quantity) == ("pic-1", 2)
    outcome = apply_turn(session, TurnProposal(state_decision=Decision.CONFIRM), catalog)
    assert outcome.place_order


def test_the_picture_is_stored_with_the_session_and_older_sessions_have_none() -> None:
    session = session_at(Stage.CONFIRMATION)
    session.attach_image("pic-1")
    stored = session.to_dict()
    assert ConversationSession.from_dict(stored).order_state.image_id == "pic-1"
    del stored["order_state"]["image_id"]
    assert ConversationSession.from_dict(stored).order_state.image_id is None


def test_a_placed_conversation_takes_no_picture_and_an_empty_id_is_refused() -> None:
    session = session_at(Stage.CONFIRMATION)
    with pytest.raises(FieldError):
        session.attach_image("")
    session.complete("order-1")
    with pytest.raises(SessionClosed):
        session.attach_image("pic-1")
