from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import (
    STAGE_ORDER,
    Decision,
    DomainError,
    InvalidStageTransition,
    OrderDraft,
    Stage,
    check_stage_move,
)
from domain.stages import (
    furthest_supported,
    movement,
    next_stage,
    previous_stage,
    stage_supported,
)
from tests.support.domain_samples import session_at
from tests.support.strategies import stages

COMPLETE = OrderDraft(menu_code="french", style_code="grand")
OPEN_STAGES = [stage for stage in Stage if stage is not Stage.COMPLETED]
BACKWARD = [
    (current, target) for current, target in itertools.combinations(reversed(OPEN_STAGES), 2)
]


def test_stage_order() -> None:
    assert [str(stage) for stage in STAGE_ORDER] == [
        "greeting",
        "menu_selection",
        "style_selection",
        "customization",
        "confirmation",
        "completed",
    ]
    assert next_stage(Stage.CONFIRMATION) is Stage.COMPLETED
    assert next_stage(Stage.COMPLETED) is None
    assert previous_stage(Stage.MENU_SELECTION) is Stage.GREETING
    assert previous_stage(Stage.GREETING) is None


def test_movement_between_stages() -> None:
    assert movement(Stage.MENU_SELECTION, Stage.CONFIRMATION) is Decision.ADVANCE
    assert movement(Stage.CONFIRMATION, Stage.CUSTOMIZATION) is Decision.BACK
    assert movement(Stage.STYLE_SELECTION, Stage.STYLE_SELECTION) is Decision.STAY


@pytest.mark.parametrize("stage", list(Stage))
def test_same_stage_is_a_stay(stage: Stage) -> None:
    assert check_stage_move(stage, stage, OrderDraft()) is stage


@pytest.mark.parametrize(("current", "target"), BACKWARD)
def test_back_to_any_earlier_stage(current: Stage, target: Stage) -> None:
    session = session_at(current)
    assert session.advance_stage(target) is target
    assert session.stage is target


@pytest.mark.parametrize("target", OPEN_STAGES)
def test_completed_is_final(target: Stage) -> None:
    with pytest.raises(InvalidStageTransition):
        check_stage_move(Stage.COMPLETED, target, COMPLETE)


def test_only_placing_an_order_completes() -> None:
    session = session_at(Stage.CONFIRMATION)
    with pytest.raises(InvalidStageTransition):
        session.advance_stage(Stage.COMPLETED)
    assert session.stage is Stage.CONFIRMATION


def test_menu_selection_needs_nothing() -> None:
    assert check_stage_move(Stage.GREETING, Stage.MENU_SELECTION, OrderDraft()) is (
        Stage.MENU_SELECTION
    )


@pytest.mark.parametrize("current", [Stage.GREETING, Stage.MENU_SELECTION])
def test_style_selection_needs_a_menu(current: Stage) -> None:
    with pytest.raises(InvalidStageTransition, match="menu"):
        check_stage_move(current, Stage.STYLE_SELECTION, OrderDraft())
    with_menu = OrderDraft(menu_code="french")
    assert check_stage_move(current, Stage.STYLE_SELECTION, with_menu) is Stage.STYLE_SELECTION


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Stage.GREETING, Stage.CUSTOMIZATION),
        (Stage.STYLE_SELECTION, Stage.CUSTOMIZATION),
        (Stage.MENU_SELECTION, Stage.CONFIRMATION),
        (Stage.STYLE_SELECTION, Stage.CONFIRMATION),
    ],
)
def test_customization_and_confirmation_need_menu_and_style(current: Stage, target: Stage) -> None:
    with pytest.raises(InvalidStageTransition, match="style"):
        check_stage_move(current, target, OrderDraft(menu_code="french"))
    assert check_stage_move(current, target, COMPLETE) is target


def test_customization_is_optional() -> None:
    session = session_at(Stage.STYLE_SELECTION)
    assert session.advance_stage(Stage.CONFIRMATION) is Stage.CONFIRMATION


def test_refusal_is_a_domain_error_and_changes_nothing() -> None:
    session = session_at(Stage.GREETING, menu_code=None, style_code=None)
    with pytest.raises(DomainError):
        session.advance_stage(Stage.CONFIRMATION)
    assert session.stage is Stage.GREETING


def test_furthest_supported_falls_back_to_what_the_draft_allows() -> None:
    menu_only = OrderDraft(menu_code="french")
    assert furthest_supported(Stage.CONFIRMATION, menu_only) is Stage.STYLE_SELECTION
    assert furthest_supported(Stage.CONFIRMATION, OrderDraft()) is Stage.MENU_SELECTION
    assert furthest_supported(Stage.GREETING, OrderDraft()) is Stage.GREETING


menu_or_none = st.one_of(st.none(), st.just("french"))
style_or_none = st.one_of(st.none(), st.just("grand"))
moves = st.one_of(
    st.tuples(st.just("stage"), stages),
    st.tuples(st.just("draft"), st.tuples(menu_or_none, style_or_none)),
    st.tuples(st.just("complete"), st.just("order-1")),
)


@given(st.lists(moves, max_size=30))
def test_no_sequence_of_moves_breaks_the_stage_rules(
    sequence: list[tuple[str, object]],
) -> None:
    session = session_at(Stage.GREETING, menu_code=None, style_code=None)
    for kind, argument in sequence:
        before = session.stage
        try:
            if kind == "stage":
                assert isinstance(argument, Stage)
                session.advance_stage(argument)
            elif kind == "draft":
                assert isinstance(argument, tuple)
                menu_code, style_code = argument
                session.update_order_state(menu_code=menu_code, style_code=style_code)
            else:
                session.complete(str(argument))
        except DomainError:
            assert session.stage is before
            continue
        after = session.stage
        assert stage_supported(after, session.order_state)
        assert before is not Stage.COMPLETED or after is Stage.COMPLETED
        if after is Stage.COMPLETED and before is not Stage.COMPLETED:
            assert kind == "complete" and before is Stage.CONFIRMATION
        if kind == "draft" and after is not before:
            # A draft change only ever pulls the stage back, never forward.
            assert STAGE_ORDER.index(after) < STAGE_ORDER.index(before)
    assert (session.stage is Stage.COMPLETED) == (session.order_id is not None)


def test_a_stage_given_as_text_is_stored_as_the_enum() -> None:
    session = session_at(Stage.CONFIRMATION)
    session.advance_stage("greeting")  # type: ignore[arg-type]
    assert session.stage is Stage.GREETING
    assert session.to_dict()["stage"] == "greeting"


def test_an_unknown_stage_name_is_refused() -> None:
    with pytest.raises(InvalidStageTransition):
        session_at(Stage.GREETING).advance_stage("dessert")  # type: ignore[arg-type]
