"""The order state machine: which status may follow which, and who may take each step."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.errors import IllegalOrderTransition, RoleNotAllowed


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    COOKING = "cooking"
    READY = "ready"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Role(StrEnum):
    """Who a user is on the platform (the JWT's ``role``)."""

    CUSTOMER = "customer"
    COOK = "cook"
    DELIVERY = "delivery"
    MANAGER = "manager"


STAFF_ROLES = frozenset({Role.COOK, Role.DELIVERY, Role.MANAGER})
ASSIGNABLE_ROLES = frozenset({Role.COOK, Role.DELIVERY})
ORDERING_ROLES = frozenset({Role.CUSTOMER})
"""The members who place orders (a guest, with no role, does too); staff never do."""

ALLOWED_STEPS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.ACCEPTED, OrderStatus.CANCELLED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.COOKING, OrderStatus.CANCELLED}),
    OrderStatus.COOKING: frozenset({OrderStatus.READY}),
    OrderStatus.READY: frozenset({OrderStatus.DELIVERING}),
    OrderStatus.DELIVERING: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
"""Each status mapped to the statuses that may follow it; any other step is illegal."""

ROLES_FOR_TARGET: Mapping[OrderStatus, frozenset[Role]] = {
    OrderStatus.ACCEPTED: frozenset({Role.COOK, Role.MANAGER}),
    OrderStatus.COOKING: frozenset({Role.COOK, Role.MANAGER}),
    OrderStatus.READY: frozenset({Role.COOK, Role.MANAGER}),
    OrderStatus.DELIVERING: frozenset({Role.DELIVERY, Role.MANAGER}),
    OrderStatus.DELIVERED: frozenset({Role.DELIVERY, Role.MANAGER}),
    # A customer may cancel only their own order; transition() checks ownership.
    OrderStatus.CANCELLED: frozenset({Role.CUSTOMER, Role.MANAGER}),
}
"""Each target status mapped to the roles that may move an order into it."""


def check_may_order(role: Role | None) -> None:
    """Refuse (:class:`RoleNotAllowed`) a staff ``role`` placing an order; ``None`` is a guest."""
    if role is not None and role not in ORDERING_ROLES:
        raise RoleNotAllowed(f"a {role} may not place orders; only customers and guests do")


def transition(
    current: OrderStatus, target: OrderStatus, *, role: Role, is_own_order: bool = False
) -> OrderStatus:
    """Move an order from ``current`` to ``target`` on behalf of ``role``.

    Returns ``target``. Raises :class:`RoleNotAllowed` for a customer asking for
    anything but cancelling their own order; else :class:`IllegalOrderTransition`
    for a step the table refuses, whoever asks; else :class:`RoleNotAllowed` for
    a staff role that may not take that step.
    """
    if role == Role.CUSTOMER and (target != OrderStatus.CANCELLED or not is_own_order):
        raise RoleNotAllowed("a customer may only cancel their own order")
    if target not in ALLOWED_STEPS[current]:
        raise IllegalOrderTransition(f"an order cannot go from {current} to {target}")
    if role not in ROLES_FOR_TARGET[target]:
        raise RoleNotAllowed(f"a {role} may not set an order to {target}")
    return OrderStatus(target)
