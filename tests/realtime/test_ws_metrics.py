"""The realtime side's metrics: sockets by role, notifications delivered and dropped."""

from __future__ import annotations

from prometheus_client import REGISTRY
from quart import Quart

from bus import keys
from quart_app.extensions import BUS
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
