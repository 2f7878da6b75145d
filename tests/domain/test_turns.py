from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import (
    Catalog,
    ConversationSession,
    Decision,
    OrderDraft,
    Stage,
    TurnOutcome,
    TurnProposal,
    apply_turn,
)
from domain.stages import stage_supported
from tests.support.domain_samples import build_catalog, session_at
from tests.support.strategies import proposals


def fresh() -> ConversationSession:
    return session_at(Stage.GREETING, menu_code=None, style_code=None)


def fields(outcome: TurnOutcome) -> list[str]:
    return [name for name, _reason in outcome.ignored]


# choosing a menu ------------------------------------------------------------
def test_a_known_menu_code_is_taken(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="english"), catalog)
    assert session.order_state.menu_code == "english"
    assert outcome.ignored == []


def test_an_unknown_menu_code_is_ignored_and_reported(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="sushi"), catalog)
    assert session.order_state.menu_code is None
    assert fields(outcome) == ["menu_code"]
    assert "sushi" in outcome.ignored[0][1]


def test_a_menu_by_position(catalog: Catalog) -> None:
    session = fresh()
    apply_turn(session, TurnProposal(menu_selection=2), catalog)
    assert session.order_state.menu_code == "champagne"


@pytest.mark.parametrize("index", [-1, 3])
def test_a_menu_position_out_of_range_is_ignored(catalog: Catalog, index: int) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_selection=index), catalog)
    assert session.order_state.menu_code is None
    assert fields(outcome) == ["menu_selection"]


def test_the_code_wins_over_a_different_position(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="french", menu_selection=1), catalog)
    assert session.order_state.menu_code == "french"
    assert fields(outcome) == ["menu_selection"]


def test_code_and_position_that_agree_are_not_reported(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="english", menu_selection=1), catalog)
    assert session.order_state.menu_code == "english"
    assert outcome.ignored == []


def test_a_valid_position_serves_when_the_code_is_unknown(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="sushi", menu_selection=1), catalog)
    assert session.order_state.menu_code == "english"
    assert fields(outcome) == ["menu_code"]


# choosing a style ------------------------------------------------------------
def test_a_style_by_position_counts_in_the_menus_own_styles(catalog: Catalog) -> None:
    session = fresh()
    apply_turn(session, TurnProposal(menu_code="champagne", style_selection=0), catalog)
    assert session.order_state.style_code == "grand"


def test_a_style_position_out_of_range_is_ignored(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="champagne", style_selection=2), catalog)
    assert session.order_state.style_code is None
    assert fields(outcome) == ["style_selection"]


@pytest.mark.parametrize("style_code", ["simple", "royal"])
def test_a_style_the_menu_does_not_offer_is_ignored(catalog: Catalog, style_code: str) -> None:
    session = fresh()
    outcome = apply_turn(
        session, TurnProposal(menu_code="champagne", style_code=style_code), catalog
    )
    assert session.order_state == OrderDraft(menu_code="champagne")
    assert fields(outcome) == ["style_code"]


def test_a_style_code_wins_over_a_different_position(catalog: Catalog) -> None:
    session = fresh()
    proposal = TurnProposal(menu_code="french", style_code="deluxe", style_selection=0)
    outcome = apply_turn(session, proposal, catalog)
    assert session.order_state.style_code == "deluxe"
    assert fields(outcome) == ["style_selection"]


def test_no_style_or_customization_before_a_menu(catalog: Catalog) -> None:
    session = fresh()
    proposal = TurnProposal(style_code="grand", customizations={"wine": 2})
    outcome = apply_turn(session, proposal, catalog)
    assert session.order_state == OrderDraft()
    assert fields(outcome) == ["style_code", "customizations"]


def test_a_new_menu_drops_a_style_it_does_not_allow(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION, style_code="simple")
    apply_turn(session, TurnProposal(menu_code="champagne"), catalog)
    assert session.order_state == OrderDraft(menu_code="champagne")
    assert session.stage is Stage.STYLE_SELECTION


def test_a_new_menu_keeps_a_style_it_allows_and_drops_customizations(catalog: Catalog) -> None:
    session = session_at(Stage.CUSTOMIZATION, style_code="grand")
    session.update_order_state(customizations={"wine": 2}, quantity=2)
    apply_turn(session, TurnProposal(menu_code="english"), catalog)
    assert session.order_state == OrderDraft("english", "grand", 2, {})
    assert session.stage is Stage.CUSTOMIZATION


# quantity and customizations ------------------------------------------------------------
@pytest.mark.parametrize("quantity", [0, 21, -5])
def test_a_quantity_out_of_range_is_ignored(catalog: Catalog, quantity: int) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    outcome = apply_turn(session, TurnProposal(quantity=quantity), catalog)
    assert session.order_state.quantity == 1
    assert fields(outcome) == ["quantity"]


@pytest.mark.parametrize(
    ("stage", "state", "decision", "ends_at"),
    [
        (Stage.GREETING, "confirmation", None, Stage.CUSTOMIZATION),
        (Stage.STYLE_SELECTION, None, "advance", Stage.CUSTOMIZATION),
        (Stage.CUSTOMIZATION, "confirmation", None, Stage.CUSTOMIZATION),
        (Stage.CONFIRMATION, None, "confirm", Stage.CONFIRMATION),
    ],
)
def test_a_refused_quantity_goes_no_further_than_customization(
    catalog: Catalog, stage: Stage, state: str | None, decision: str | None, ends_at: Stage
) -> None:
    session = session_at(stage)
    proposal = TurnProposal(quantity=42, state=state, state_decision=decision)

    outcome = apply_turn(session, proposal, catalog)

    assert session.stage == ends_at
    assert not outcome.place_order
    assert "quantity" in fields(outcome)


def test_a_valid_quantity_is_taken(catalog: Catalog) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    apply_turn(session, TurnProposal(quantity=20), catalog)
    assert session.order_state.quantity == 20


def test_customizations_merge_and_bad_ones_are_ignored(catalog: Catalog) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    session.update_order_state(customizations={"coffee": 2})
    proposal = TurnProposal(customizations={"wine": 2, "bacon": 1, "steak": 11, "salad": 0})
    outcome = apply_turn(session, proposal, catalog)
    assert session.order_state.customizations == {"coffee": 2, "wine": 2, "salad": 0}
    assert sorted(fields(outcome)) == ["customizations.bacon", "customizations.steak"]


def test_overrides_win_over_customizations(catalog: Catalog) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    proposal = TurnProposal(customizations={"wine": 2}, customization_overrides={"wine": 3})
    apply_turn(session, proposal, catalog)
    assert session.order_state.customizations == {"wine": 3}


def test_a_bad_override_is_ignored(catalog: Catalog) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    outcome = apply_turn(session, TurnProposal(customization_overrides={"wine": -1}), catalog)
    assert session.order_state.customizations == {}
    assert fields(outcome) == ["customization_overrides.wine"]


# the stage ------------------------------------------------------------
def test_one_sentence_can_reach_confirmation(catalog: Catalog) -> None:
    session = fresh()
    proposal = TurnProposal(
        menu_code="french", style_code="grand", quantity=2, state="confirmation"
    )
    outcome = apply_turn(session, proposal, catalog)
    assert session.stage is Stage.CONFIRMATION
    assert (outcome.stage, outcome.decision, outcome.ignored) == (
        Stage.CONFIRMATION,
        Decision.ADVANCE,
        [],
    )


def test_a_state_the_data_does_not_support_is_ignored(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(menu_code="french", state="confirmation"), catalog)
    assert session.stage is Stage.GREETING
    assert (outcome.stage, outcome.decision) == (Stage.GREETING, Decision.STAY)
    assert fields(outcome) == ["state"]


def test_back_to_an_earlier_state(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    outcome = apply_turn(session, TurnProposal(state="menu_selection"), catalog)
    assert (session.stage, outcome.decision) == (Stage.MENU_SELECTION, Decision.BACK)
    assert session.order_state == OrderDraft("french", "grand")


@pytest.mark.parametrize("state", ["dessert", "completed"])
def test_an_unknown_or_final_state_is_ignored(catalog: Catalog, state: str) -> None:
    session = session_at(Stage.CONFIRMATION)
    outcome = apply_turn(session, TurnProposal(state=state), catalog)
    assert session.stage is Stage.CONFIRMATION
    assert fields(outcome) == ["state"]


def test_an_unknown_decision_is_ignored(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(state_decision="maybe"), catalog)
    assert (session.stage, fields(outcome)) == (Stage.GREETING, ["state_decision"])


@pytest.mark.parametrize(
    ("start", "decision", "end"),
    [
        (Stage.GREETING, "advance", Stage.MENU_SELECTION),
        (Stage.CUSTOMIZATION, "advance", Stage.CONFIRMATION),
        (Stage.CONFIRMATION, "back", Stage.CUSTOMIZATION),
        (Stage.MENU_SELECTION, "back", Stage.GREETING),
    ],
)
def test_a_decision_without_a_state_moves_one_step(
    catalog: Catalog, start: Stage, decision: str, end: Stage
) -> None:
    session = session_at(start)
    outcome = apply_turn(session, TurnProposal(state_decision=decision), catalog)
    assert (session.stage, outcome.decision, outcome.ignored) == (end, Decision(decision), [])


def test_advance_that_the_data_does_not_support_stays(catalog: Catalog) -> None:
    session = session_at(Stage.MENU_SELECTION, menu_code=None, style_code=None)
    outcome = apply_turn(session, TurnProposal(state_decision="advance"), catalog)
    assert (session.stage, outcome.decision) == (Stage.MENU_SELECTION, Decision.STAY)
    assert fields(outcome) == ["state_decision"]


@pytest.mark.parametrize(
    ("start", "decision"), [(Stage.GREETING, "back"), (Stage.CONFIRMATION, "advance")]
)
def test_no_step_past_either_end(catalog: Catalog, start: Stage, decision: str) -> None:
    session = session_at(start)
    outcome = apply_turn(session, TurnProposal(state_decision=decision), catalog)
    assert session.stage is start
    assert fields(outcome) == ["state_decision"]


def test_a_usable_state_wins_over_a_one_step_decision(catalog: Catalog) -> None:
    session = session_at(Stage.GREETING)
    proposal = TurnProposal(state="confirmation", state_decision="advance")
    apply_turn(session, proposal, catalog)
    assert session.stage is Stage.CONFIRMATION


def test_an_unusable_state_falls_back_to_the_decision(catalog: Catalog) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    proposal = TurnProposal(state="dessert", state_decision="back")
    outcome = apply_turn(session, proposal, catalog)
    assert session.stage is Stage.STYLE_SELECTION
    assert fields(outcome) == ["state"]


# confirm and cancel ------------------------------------------------------------
def test_confirm_at_confirmation_places_the_order(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    outcome = apply_turn(session, TurnProposal(state_decision="confirm"), catalog)
    assert outcome.place_order
    assert (outcome.stage, outcome.decision) == (Stage.CONFIRMATION, Decision.CONFIRM)
    session.complete("order-1")
    assert session.stage is Stage.COMPLETED


def test_confirm_with_an_echo_of_the_same_order_places_it(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    proposal = TurnProposal(
        menu_code="french", style_code="grand", quantity=1, state="completed",
        state_decision="confirm",
    )  # fmt: skip
    assert apply_turn(session, proposal, catalog).place_order


def test_confirm_ignores_a_state_elsewhere(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    outcome = apply_turn(session, TurnProposal(state="greeting", state_decision="confirm"), catalog)
    assert outcome.place_order
    assert session.stage is Stage.CONFIRMATION
    assert fields(outcome) == ["state"]


def test_confirm_before_confirmation_is_a_stay_that_still_takes_the_state(
    catalog: Catalog,
) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    proposal = TurnProposal(state="confirmation", state_decision="confirm")
    outcome = apply_turn(session, proposal, catalog)
    assert not outcome.place_order
    assert session.stage is Stage.CONFIRMATION
    assert fields(outcome) == ["state_decision"]


def test_confirm_of_an_incomplete_order_is_refused(catalog: Catalog) -> None:
    session = fresh()
    outcome = apply_turn(session, TurnProposal(state_decision="confirm"), catalog)
    assert not outcome.place_order
    assert (outcome.decision, fields(outcome)) == (Decision.STAY, ["state_decision"])


def test_confirm_of_an_order_changed_in_the_same_turn_is_refused(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    outcome = apply_turn(session, TurnProposal(quantity=3, state_decision="confirm"), catalog)
    assert not outcome.place_order
    assert session.order_state.quantity == 3
    assert fields(outcome) == ["state_decision"]


def test_cancel_abandons_the_order(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    proposal = TurnProposal(menu_code="english", state_decision="cancel")
    outcome = apply_turn(session, proposal, catalog)
    assert outcome.cancelled and not outcome.place_order
    assert (outcome.stage, outcome.decision) == (Stage.GREETING, Decision.CANCEL)
    assert session.order_state == OrderDraft()


def test_a_completed_conversation_takes_no_turn(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    session.complete("order-1")
    outcome = apply_turn(
        session, TurnProposal(menu_code="english", state_decision="cancel"), catalog
    )
    assert outcome.closed and not outcome.cancelled
    assert fields(outcome) == ["session"]
    assert (session.stage, session.order_state) == (Stage.COMPLETED, OrderDraft("french", "grand"))


# properties ------------------------------------------------------------
CATALOG = build_catalog()


def _draft_is_valid(draft: OrderDraft) -> bool:
    """Every code in the draft is one the catalog accepts together."""
    if draft.menu_code is None:
        return draft.style_code is None and not draft.customizations
    line_style = draft.style_code or CATALOG.menu(draft.menu_code).styles[0].code
    CATALOG.validate_item(draft.menu_code, line_style, draft.quantity, draft.customizations)
    return True


@given(st.lists(st.tuples(proposals, st.booleans()), max_size=12))
def test_no_proposal_breaks_the_session(turns: list[tuple[TurnProposal, bool]]) -> None:
    session = fresh()
    for number, (proposal, place) in enumerate(turns):
        before = session.stage
        outcome = apply_turn(session, proposal, CATALOG)
        assert outcome.stage is session.stage
        assert stage_supported(session.stage, session.order_state)
        assert _draft_is_valid(session.order_state)
        assert outcome.closed == (before is Stage.COMPLETED)
        if outcome.place_order:
            assert session.stage is Stage.CONFIRMATION and session.order_state.is_complete
            if place:
                session.complete(f"order-{number}")
        if outcome.cancelled:
            assert (session.stage, session.order_state) == (Stage.GREETING, OrderDraft())
