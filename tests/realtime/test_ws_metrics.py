"""The realtime side's metrics: sockets by role, notifications delivered and dropped."""

from __future__ import annotations

from prometheus_client import REGISTRY
from quart import Quart

from bus import keys
from quart_app.extensions import BUS
from quart_app.schemas.orders import OrderItemRequest
from tests.support.waiting import eventually
from tests.support.websockets import Connect, forgotten, manager_of, receive_type


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_sockets_are_counted_by_role_while_open(app: Quart, connect: Connect) -> None:
    before = sample("websocket_connections", role="delivery")
    async with connect(app, "d-1", "delivery"), connect(app, "d-2", "delivery"):
        assert sample("websocket_connections", role="delivery") == before + 2
    await forgotten(app)
    assert sample("websocket_connections", role="delivery") == before


async def test_notifications_delivered_and_malformed_ones_dropped(
    app: Quart, connect: Connect
) -> None:
    delivered = sample("notifications_delivered_total")
    malformed = sample("notifications_dropped_total", reason="malformed")
    async with connect(app, "c-1", "cook") as first, connect(app, "c-2", "cook") as second:
        await manager_of(app).publisher.broadcast_to_staff("order.created", {"order_id": "x"})
        for ws in (first, second):
            await receive_type(ws, "order.created")
        await app.extensions[BUS].publish(keys.WS_NOTIFY_CHANNEL, b"not an envelope")

        async def dropped() -> bool:
            return sample("notifications_dropped_total", reason="malformed") == malformed + 1

        await eventually(dropped)
    assert sample("notifications_delivered_total") == delivered + 2


async def test_an_order_event_reaching_a_socket_times_its_way_from_the_transaction(
    app: Quart, connect: Connect
) -> None:
    timed = sample("order_event_delivery_seconds_count")
    item = OrderItemRequest(menu_code="french", style_code="grand", quantity=1)
    async with connect(app, "c-1", "cook") as ws:
        order = await app.extensions["order_service"].place_order("cust-1", [item])
        frame = await receive_type(ws, "order.created")
    assert frame["data"]["order_id"] == order.order_id
    assert sample("order_event_delivery_seconds_count") == timed + 1
    assert sample("order_event_delivery_seconds_bucket", le="+Inf") >= timed + 1
