"""Who hears of an order event, and what they get: the notifications the outbox keeps.

- ``order.created``: every staff socket (cook, delivery, manager);
- ``order.assigned``: the staff member assigned (``staff_id``);
- ``order.status_changed``: the order's customer (a guest's order: its order
  token's pseudo user, see ``quart_app.services.auth.tokens.order_follower_id``) and its
  assigned cook and courier.

The frame's ``data`` is the order as ``GET /api/orders/{id}`` shows it;
``order.status_changed`` adds ``previous_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.orders import STAFF_ROLES
from quart_app.services.auth.tokens import order_follower_id
from quart_app.services.realtime.notifications import Notice

ORDER_CREATED = "order.created"
ORDER_ASSIGNED = "order.assigned"
ORDER_STATUS_CHANGED = "order.status_changed"

Order = Mapping[str, Any]


def status_change_recipients(order: Order) -> list[str]:
    """The customer (a guest order: its follower), the cook and the courier: each once, if set."""
    customer = order.get("customer_id") or order_follower_id(str(order["order_id"]))
    people = (customer, order.get("assigned_cook"), order.get("assigned_delivery"))
    return list(dict.fromkeys(str(person) for person in people if person))


def created_notice(order: Order) -> Notice:
    """``order.created`` for every staff member."""
    return Notice.to_roles(STAFF_ROLES, ORDER_CREATED, order)


def assigned_notice(order: Order, staff_id: str) -> Notice:
    """``order.assigned`` for the staff member assigned."""
    return Notice.to_users((staff_id,), ORDER_ASSIGNED, order)


def status_changed_notice(order: Order, previous_status: str) -> Notice:
    """``order.status_changed`` for its people."""
    data = {**order, "previous_status": previous_status}
    return Notice.to_users(status_change_recipients(order), ORDER_STATUS_CHANGED, data)
