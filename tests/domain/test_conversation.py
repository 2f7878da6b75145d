from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from domain import (
    MAX_MESSAGES,
    Catalog,
    ConversationSession,
    DomainError,
    FieldError,
    IncompleteOrder,
    InvalidQuantity,
    InvalidStageTransition,
    MalformedData,
    OrderDraft,
    SessionClosed,
    Stage,
)
from domain.stages import stage_supported
from tests.support.domain_samples import session_at
from tests.support.strategies import json_values, sessions


def test_start() -> None:
    session = ConversationSession.start("s-9", "42", "42", now=100.0)
    assert (session.session_id, session.user_id, session.owner) == ("s-9", "42", "42")
    assert (session.created_at, session.last_activity) == (100.0, 100.0)
    assert session.stage is Stage.GREETING
    assert session.order_state == OrderDraft()
    assert session.messages == []
    assert session.order_id is None


def test_start_without_a_clock_uses_the_time_now() -> None:
    session = ConversationSession.start("s-9", None, "secret")
    assert session.created_at > 1_700_000_000


# messages ----------------------------------------------------------------------------
def test_add_message_appends_and_touches() -> None:
    session = session_at(Stage.GREETING, now=10.0)
    session.add_message("user", "프렌치 디너 두 개 주세요", now=12.5)
    session.add_message("assistant", "어떤 스타일로 드릴까요?", now=13.0)
    assert session.messages == [
        {"role": "user", "content": "프렌치 디너 두 개 주세요"},
        {"role": "assistant", "content": "어떤 스타일로 드릴까요?"},
    ]
    assert session.last_activity == 13.0


def test_history_keeps_the_latest_messages() -> None:
    session = session_at(Stage.GREETING)
    for number in range(MAX_MESSAGES + 3):
        session.add_message("user", f"message {number}", now=1.0)
    assert len(session.messages) == MAX_MESSAGES
    assert session.messages[0]["content"] == "message 3"
    assert session.messages[-1]["content"] == f"message {MAX_MESSAGES + 2}"


@pytest.mark.parametrize(("role", "content"), [("system", "hi"), ("user", 42)])
def test_add_message_validates(role: str, content: Any) -> None:
    session = session_at(Stage.GREETING)
    with pytest.raises(FieldError):
        session.add_message(role, content, now=1.0)
    assert session.messages == []


def test_update_context_merges() -> None:
    session = session_at(Stage.GREETING)
    session.update_context(language="ko")
    session.update_context(active_events=[])
    assert session.context == {"language": "ko", "active_events": []}


# summaries ---------------------------------------------------------------------------
def test_order_summary_with_catalog_names(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    session.update_order_state(quantity=2, customizations={"wine": 2})
    assert session.get_order_state_summary(catalog) == "French Dinner, Grand, x2, wine 2"


def test_order_summary_in_korean(catalog: Catalog) -> None:
    session = session_at(Stage.CONFIRMATION)
    session.update_order_state(quantity=2, customizations={"wine": 2})
    assert session.get_order_state_summary(catalog, "ko") == "프렌치 디너, 그랜드, 2개, 와인 2"
    unfinished = session_at(Stage.STYLE_SELECTION, style_code=None)
    assert unfinished.get_order_state_summary(catalog, "ko") == "프렌치 디너, 스타일 미정, 1개"


def test_order_summary_without_catalog_uses_codes() -> None:
    session = session_at(Stage.CONFIRMATION)
    assert session.get_order_state_summary() == "french, grand, x1"


def test_order_summary_of_an_unfinished_order(catalog: Catalog) -> None:
    assert session_at(Stage.GREETING, menu_code=None).get_order_state_summary() == (
        "nothing chosen yet"
    )
    menu_only = session_at(Stage.STYLE_SELECTION, style_code=None)
    assert menu_only.get_order_state_summary(catalog) == "French Dinner, no style yet, x1"


def test_context_summary(catalog: Catalog) -> None:
    session = session_at(Stage.STYLE_SELECTION, style_code=None)
    session.add_message("user", "프렌치 디너요", now=1.0)
    session.add_message("assistant", "스타일은요?", now=2.0)
    summary = session.get_context_summary(catalog)
    assert "style_selection" in summary
    assert "French Dinner" in summary
    assert "프렌치 디너요" in summary
    assert "스타일은요?" not in summary
    assert "2 messages" in summary


# the draft -----------------------------------------------------------------------------
def test_update_order_state_replaces_only_what_is_given() -> None:
    session = session_at(Stage.CUSTOMIZATION)
    session.update_order_state(quantity=3)
    session.update_order_state(customizations={"wine": 2})
    session.update_order_state(customizations={"steak": 2})
    assert session.order_state == OrderDraft("french", "grand", 3, {"steak": 2})


@pytest.mark.parametrize(
    "change", [{"quantity": 0}, {"quantity": 21}, {"customizations": {"wine": 11}}]
)
def test_update_order_state_checks_amounts(change: dict[str, Any]) -> None:
    session = session_at(Stage.CUSTOMIZATION)
    with pytest.raises(InvalidQuantity):
        session.update_order_state(**change)
    assert session.order_state == OrderDraft("french", "grand")


@pytest.mark.parametrize(
    ("change", "stage"),
    [({"style_code": None}, Stage.STYLE_SELECTION), ({"menu_code": None}, Stage.MENU_SELECTION)],
)
def test_losing_a_choice_pulls_the_stage_back(change: dict[str, Any], stage: Stage) -> None:
    session = session_at(Stage.CONFIRMATION)
    session.update_order_state(**change)
    assert session.stage is stage


def test_abandon_order_starts_over() -> None:
    session = session_at(Stage.CONFIRMATION)
    session.abandon_order()
    assert session.order_state == OrderDraft()
    assert session.stage is Stage.GREETING


# placing the order --------------------------------------------------------------------
def test_complete_from_confirmation() -> None:
    session = session_at(Stage.CONFIRMATION)
    session.complete("order-7")
    assert session.stage is Stage.COMPLETED
    assert session.order_id == "order-7"


def test_complete_elsewhere_is_refused() -> None:
    session = session_at(Stage.CUSTOMIZATION)
    with pytest.raises(InvalidStageTransition):
        session.complete("order-7")
    assert session.order_id is None


def test_complete_without_a_style_is_incomplete() -> None:
    session = session_at(Stage.STYLE_SELECTION, style_code=None)
    with pytest.raises(IncompleteOrder):
        session.complete("order-7")


def test_complete_needs_an_order_id() -> None:
    with pytest.raises(FieldError):
        session_at(Stage.CONFIRMATION).complete("")


def test_complete_twice_is_refused() -> None:
    session = session_at(Stage.CONFIRMATION)
    session.complete("order-7")
    with pytest.raises(InvalidStageTransition):
        session.complete("order-8")
    assert session.order_id == "order-7"


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update_order_state(quantity=2),
        lambda s: s.abandon_order(),
    ],
)
def test_a_completed_session_takes_no_changes(change: Any) -> None:
    session = session_at(Stage.CONFIRMATION)
    session.complete("order-7")
    with pytest.raises(SessionClosed):
        change(session)
    assert session.order_state == OrderDraft("french", "grand")


# time ------------------------------------------------------------------------------------
def test_expiry_is_measured_from_the_last_activity() -> None:
    session = session_at(Stage.GREETING, now=100.0)
    assert not session.is_expired(60, now=159.9)
    assert session.is_expired(60, now=160.0)
    session.touch(now=150.0)
    assert not session.is_expired(60, now=160.0)
    assert session.created_at == 100.0


# serialization -----------------------------------------------------------------------------
def test_to_dict_shape() -> None:
    session = session_at(Stage.CONFIRMATION, now=5.0)
    session.add_message("user", "네", now=6.0)
    session.complete("order-1")
    assert session.to_dict() == {
        "session_id": "s-1",
        "user_id": None,
        "owner": "guest-secret",
        "messages": [{"role": "user", "content": "네"}],
        "context": {},
        "order_state": {
            "menu_code": "french",
            "style_code": "grand",
            "quantity": 1,
            "customizations": {},
        },
        "created_at": 5.0,
        "last_activity": 6.0,
        "stage": "completed",
        "order_id": "order-1",
    }


def test_to_dict_is_a_copy() -> None:
    session = session_at(Stage.GREETING)
    session.update_context(history={"recent": [1]})
    data = session.to_dict()
    data["context"]["history"]["recent"].append(2)
    data["messages"].append({"role": "user", "content": "x"})
    assert session.context == {"history": {"recent": [1]}}
    assert session.messages == []


@given(sessions())
def test_round_trip_loses_nothing(session: ConversationSession) -> None:
    assert ConversationSession.from_dict(session.to_dict()) == session
    wire = json.dumps(session.to_dict(), ensure_ascii=False)
    assert ConversationSession.from_dict(json.loads(wire)) == session


def _valid() -> dict[str, Any]:
    return session_at(Stage.CONFIRMATION).to_dict()


def _with(**changes: Any) -> dict[str, Any]:
    return {**_valid(), **changes}


def _without(key: str) -> dict[str, Any]:
    data = _valid()
    del data[key]
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("not a session", ""),
        (_without("owner"), "owner"),
        (_with(session_id=7), "session_id"),
        (_with(user_id=42), "user_id"),
        (_with(messages={}), "messages"),
        (_with(messages=["hi"]), "messages[0]"),
        (_with(messages=[{"role": "system", "content": "x"}]), "role"),
        (_with(messages=[{"role": "user"}]), "messages[0].content"),
        (_with(context=[]), "context"),
        (_with(order_state=None), "order_state"),
        (_with(order_state={**_valid()["order_state"], "quantity": 0}), "order_state.quantity"),
        (
            _with(order_state={**_valid()["order_state"], "customizations": {"wine": "2"}}),
            "order_state.customizations.wine",
        ),
        (_with(created_at="yesterday"), "created_at"),
        (_with(last_activity=True), "last_activity"),
        (_with(stage="dessert"), "stage"),
        (_with(stage="confirmation", order_id="order-1"), "order_id"),
        (_with(stage="completed"), "order_id"),
        (_with(order_state={**_valid()["order_state"], "style_code": None}), "stage"),
    ],
)
def test_from_dict_rejects_malformed_data(data: Any, field: str) -> None:
    with pytest.raises(MalformedData) as raised:
        ConversationSession.from_dict(data)
    assert raised.value.field == field


def _read_or_refuse(data: Any) -> None:
    """Reading either refuses with a domain error or yields a session that keeps the rules."""
    try:
        session = ConversationSession.from_dict(data)
    except DomainError:
        return
    assert stage_supported(session.stage, session.order_state)
    assert (session.stage is Stage.COMPLETED) == (session.order_id is not None)


@given(json_values)
def test_from_dict_never_fails_with_anything_but_a_domain_error(data: Any) -> None:
    _read_or_refuse(data)


@given(sessions(), json_values)
def test_from_dict_survives_any_member_replaced(session: ConversationSession, value: Any) -> None:
    data = session.to_dict()
    for key in data:
        _read_or_refuse({**data, key: value})
