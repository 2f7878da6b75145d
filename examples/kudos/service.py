"""Thanking the staff for an order: checked with the order service, announced to staff."""

from __future__ import annotations

from domain.orders import OrderStatus
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders.service import OrderService
from quart_app.services.realtime.notifications import NotificationPublisher

KUDOS_RECEIVED = "kudos.received"
"""What every staff socket is sent; ``data``: ``{"order_id", "customer_id", "message"}``."""


class NotDelivered(Exception):
    """Kudos wait until the order has been delivered."""


class KudosService:
    """Sends a customer's thanks for one of their delivered orders to every staff member."""

    def __init__(self, orders: OrderService, publisher: NotificationPublisher) -> None:
        self._orders = orders
        self._publisher = publisher

    async def thank(self, customer: Principal, order_id: str, message: str) -> str:
        """Announce ``message`` about ``order_id`` to staff; the notification's id.

        The order service's ``OrderNotFound`` (404) unless the order is the
        customer's own; :class:`NotDelivered` before it has been delivered.
        """
        order = await self._orders.get_order(order_id, customer)
        if order.status is not OrderStatus.DELIVERED:
            raise NotDelivered(f"order {order_id} is {order.status.value}, not delivered yet")
        data = {"order_id": order.order_id, "customer_id": order.customer_id, "message": message}
        return await self._publisher.broadcast_to_staff(KUDOS_RECEIVED, data)
