"""Order events from the data layer become notifications for the right people."""

from __future__ import annotations

import json
from typing import Any

from quart import Quart
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import mint_order_token, order_follower_id
from quart_app.services.realtime.order_events import status_change_recipients
from tests.support.tokens import SECRET, bearer
from tests.support.websockets import Connect, auth_frame, receive, receive_type

ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}


async def post(app: Quart, path: str, body: dict[str, Any], user: str, role: str) -> Any:
    response = await app.test_client().post(path, json=body, headers=bearer(user, role))
    assert response.status_code in (200, 201), await response.get_data()
    return await response.get_json()


async def quiet(ws: WsConnection) -> None:
    """Nothing but a pong comes back: no notification was waiting for ``ws``."""
    await ws.send(json.dumps({"type": "ping"}))
    assert await receive(ws) == {"type": "pong"}


async def test_order_events_reach_staff_assignee_and_customer(app: Quart, connect: Connect) -> None:
    async with (
        connect(app, "customer-1", "customer") as customer,
        connect(app, "customer-2", "customer") as other_customer,
        connect(app, "cook-1", "cook") as cook,
        connect(app, "cook-2", "cook") as other_cook,
        connect(app, "manager-1", "manager") as boss,
    ):
        order = await post(app, "/api/orders", {"items": [ITEM]}, "customer-1", "customer")
        order_id = order["order_id"]
        for ws in (cook, other_cook, boss):
            created = await receive_type(ws, "order.created")
            assert created["data"]["order_id"] == order_id
        for ws in (customer, other_customer):
            await quiet(ws)

        body = {"staff_id": "cook-1", "role": "cook"}
        await post(app, f"/api/orders/{order_id}/assign", body, "manager-1", "manager")
        assigned = await receive_type(cook, "order.assigned")
        assert assigned["data"]["assigned_cook"] == "cook-1"
        await quiet(other_cook)

        body = {"status": "accepted"}
        await post(app, f"/api/orders/{order_id}/status", body, "cook-1", "cook")
        for ws in (customer, cook):
            changed = await receive_type(ws, "order.status_changed")
            assert changed["data"]["status"] == "accepted"
            assert changed["data"]["previous_status"] == "pending"
        for ws in (other_customer, other_cook, boss):
            await quiet(ws)


def test_status_change_recipients_are_customer_cook_and_courier_once_each() -> None:
    order = {"order_id": "o1", "customer_id": "c", "assigned_cook": "k", "assigned_delivery": None}
    assert status_change_recipients(order) == ["c", "k"]
    guest_order = {
        "order_id": "o2",
        "customer_id": None,
        "assigned_cook": "k",
        "assigned_delivery": "k",
    }
    assert status_change_recipients(guest_order) == ["order:o2", "k"]


async def test_a_guest_follows_their_order_with_its_order_token(app: Quart) -> None:
    service = app.extensions["order_service"]
    item = OrderItemRequest(**ITEM)
    order = await service.place_order(None, [item], session_id="g" * 32)
    follower = order_follower_id(order.order_id)
    async with app.test_client().websocket("/api/ws") as guest:
        token = mint_order_token(SECRET, order.order_id, ttl=60)
        await guest.send(auth_frame(follower, "customer", token=token))
        assert (await receive(guest))["type"] == "connected"
        await post(app, f"/api/orders/{order.order_id}/status", {"status": "accepted"}, "c", "cook")
        changed = await receive_type(guest, "order.status_changed")
        assert (changed["data"]["order_id"], changed["data"]["status"]) == (
            order.order_id,
            "accepted",
        )
