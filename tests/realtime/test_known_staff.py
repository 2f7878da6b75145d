"""A staff member who only connected the WebSocket is a known, assignable user."""

from __future__ import annotations

from quart import Quart

from tests.support.tokens import bearer
from tests.support.websockets import Connect

ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}


async def test_a_courier_who_only_connected_can_be_assigned(app: Quart, connect: Connect) -> None:
    client = app.test_client()
    placed = await client.post(
        "/api/orders", json={"items": [ITEM]}, headers=bearer("customer-1", "customer")
    )
    order_id = (await placed.get_json())["order_id"]
    body = {"staff_id": "courier-ws", "role": "delivery"}
    manager = bearer("manager-1", "manager")
    path = f"/api/orders/{order_id}/assign"
    assert (await client.post(path, json=body, headers=manager)).status_code == 422
    async with connect(app, "courier-ws", "delivery"):
        assert (await client.post(path, json=body, headers=manager)).status_code == 200
