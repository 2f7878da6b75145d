from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import (
    ALLOWED_STEPS,
    ASSIGNABLE_ROLES,
    ORDERING_ROLES,
    STAFF_ROLES,
    DomainError,
    IllegalOrderTransition,
    OrderStatus,
    Role,
    RoleNotAllowed,
    check_may_order,
    transition,
)
from tests.support.strategies import roles, statuses

S = OrderStatus
LEGAL = {
    (S.PENDING, S.ACCEPTED),
    (S.ACCEPTED, S.COOKING),
    (S.COOKING, S.READY),
    (S.READY, S.DELIVERING),
    (S.DELIVERING, S.DELIVERED),
    (S.PENDING, S.CANCELLED),
    (S.ACCEPTED, S.CANCELLED),
}
ROLE_TARGETS = {
    Role.CUSTOMER: {S.CANCELLED},
    Role.COOK: {S.ACCEPTED, S.COOKING, S.READY},
    Role.DELIVERY: {S.DELIVERING, S.DELIVERED},
    Role.MANAGER: set(OrderStatus),
}
ALL_STEPS = list(itertools.product(OrderStatus, OrderStatus))


def test_role_groups() -> None:
    assert frozenset({Role.COOK, Role.DELIVERY, Role.MANAGER}) == STAFF_ROLES
    assert frozenset({Role.COOK, Role.DELIVERY}) == ASSIGNABLE_ROLES


def test_the_table_holds_exactly_the_legal_steps() -> None:
    assert {(a, b) for a, targets in ALLOWED_STEPS.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("current", "target"), ALL_STEPS)
def test_a_manager_takes_every_legal_step_and_no_other(
    current: OrderStatus, target: OrderStatus
) -> None:
    if (current, target) in LEGAL:
        assert transition(current, target, role=Role.MANAGER) is target
    else:
        with pytest.raises(IllegalOrderTransition):
            transition(current, target, role=Role.MANAGER)


@pytest.mark.parametrize(
    ("role", "steps"),
    [
        (Role.COOK, {(S.PENDING, S.ACCEPTED), (S.ACCEPTED, S.COOKING), (S.COOKING, S.READY)}),
        (Role.DELIVERY, {(S.READY, S.DELIVERING), (S.DELIVERING, S.DELIVERED)}),
    ],
)
def test_staff_roles_take_only_their_steps(
    role: Role, steps: set[tuple[OrderStatus, OrderStatus]]
) -> None:
    for current, target in LEGAL:
        if (current, target) in steps:
            assert transition(current, target, role=role) is target
        else:
            with pytest.raises(RoleNotAllowed):
                transition(current, target, role=role)


@pytest.mark.parametrize("current", [S.PENDING, S.ACCEPTED])
def test_a_customer_cancels_their_own_order_early(current: OrderStatus) -> None:
    assert transition(current, S.CANCELLED, role=Role.CUSTOMER, is_own_order=True) is S.CANCELLED


@pytest.mark.parametrize("current", [S.COOKING, S.READY, S.DELIVERED, S.CANCELLED])
def test_a_customer_cancelling_too_late_is_a_conflict(current: OrderStatus) -> None:
    with pytest.raises(IllegalOrderTransition):
        transition(current, S.CANCELLED, role=Role.CUSTOMER, is_own_order=True)


def test_a_customer_may_not_cancel_anothers_order() -> None:
    with pytest.raises(RoleNotAllowed):
        transition(S.PENDING, S.CANCELLED, role=Role.CUSTOMER, is_own_order=False)


@pytest.mark.parametrize(
    ("current", "target"), [(a, b) for a, b in ALL_STEPS if b is not S.CANCELLED]
)
def test_a_customer_may_only_ask_for_cancelled(current: OrderStatus, target: OrderStatus) -> None:
    # Forbidden before legality: a customer learns nothing about the order's state.
    with pytest.raises(RoleNotAllowed):
        transition(current, target, role=Role.CUSTOMER, is_own_order=True)


def test_an_illegal_step_is_a_conflict_even_for_a_role_without_the_right() -> None:
    with pytest.raises(IllegalOrderTransition):
        transition(S.DELIVERED, S.COOKING, role=Role.DELIVERY)


def test_staff_cannot_cancel_unless_manager() -> None:
    with pytest.raises(RoleNotAllowed):
        transition(S.PENDING, S.CANCELLED, role=Role.COOK)


def test_errors_are_domain_errors_with_a_message() -> None:
    with pytest.raises(DomainError, match="delivered"):
        transition(S.DELIVERED, S.PENDING, role=Role.MANAGER)


@given(st.lists(st.tuples(statuses, roles, st.booleans()), max_size=30))
def test_no_sequence_of_requests_leaves_the_table(
    requests: list[tuple[OrderStatus, Role, bool]],
) -> None:
    status = S.PENDING
    for target, role, own in requests:
        try:
            new = transition(status, target, role=role, is_own_order=own)
        except (IllegalOrderTransition, RoleNotAllowed):
            continue
        assert (status, new) in LEGAL
        assert new is target
        assert new in ROLE_TARGETS[role]
        assert own or role is not Role.CUSTOMER
        status = new
    assert status in OrderStatus


def test_statuses_given_as_text_come_back_as_the_enum() -> None:
    new = transition("pending", "accepted", role="cook")  # type: ignore[arg-type]
    assert new is S.ACCEPTED


def test_customers_and_guests_order_and_staff_never_do() -> None:
    check_may_order(None)
    for role in Role:
        if role in ORDERING_ROLES:
            check_may_order(role)
        else:
            with pytest.raises(RoleNotAllowed):
                check_may_order(role)
    assert ORDERING_ROLES.isdisjoint(STAFF_ROLES)
