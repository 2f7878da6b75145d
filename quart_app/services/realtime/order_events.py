"""Order events (the data layer's blinker signals) turned into WebSocket notifications.

- ``order.created``: every staff socket (cook, delivery, manager);
- ``order.assigned``: the staff member assigned (``staff_id``);
- ``order.status_changed``: the order's customer (a guest's order: its order
  token's pseudo user, see ``quart_app.auth.order_follower_id``) and its
  assigned cook and courier.

The frame's ``data`` is the order as ``GET /api/orders/{id}`` shows it;
``order.status_changed`` adds ``previous_status``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from blinker import NamedSignal
from quart import Quart

from quart_app.auth import order_follower_id
from quart_app.services.realtime.notifications import NotificationPublisher
from quart_app.signals import order_assigned, order_created, order_status_changed

ORDER_CREATED = "order.created"
ORDER_ASSIGNED = "order.assigned"
ORDER_STATUS_CHANGED = "order.status_changed"

Order = Mapping[str, Any]


def status_change_recipients(order: Order) -> list[str]:
    """The customer (a guest order: its follower), the cook and the courier: each once, if set."""
    customer = order.get("customer_id") or order_follower_id(str(order["order_id"]))
    people = (customer, order.get("assigned_cook"), order.get("assigned_delivery"))
    return list(dict.fromkeys(str(person) for person in people if person))


def connect_order_events(app: Quart, notifier: NotificationPublisher) -> Callable[[], None]:
    """Announce ``app``'s order events through ``notifier``; return the disconnector."""

    async def created(sender: Quart, *, order: Order, **_: Any) -> None:
        await notifier.broadcast_to_staff(ORDER_CREATED, order)

    async def assigned(sender: Quart, *, order: Order, staff_id: str, **_: Any) -> None:
        await notifier.send_to_user(str(staff_id), ORDER_ASSIGNED, order)

    async def status_changed(
        sender: Quart, *, order: Order, previous_status: str | None = None, **_: Any
    ) -> None:
        recipients = status_change_recipients(order)
        if recipients:
            data = {**order, "previous_status": previous_status}
            await notifier.send_to_users(recipients, ORDER_STATUS_CHANGED, data)

    receivers: list[tuple[NamedSignal, Callable[..., Awaitable[None]]]] = [
        (order_created, created),
        (order_assigned, assigned),
        (order_status_changed, status_changed),
    ]
    for signal, receiver in receivers:
        signal.connect(receiver, sender=app, weak=False)

    def disconnect() -> None:
        for signal, receiver in receivers:
            signal.disconnect(receiver, sender=app)

    return disconnect
