"""Staff never see a guest's conversation id: it is the guest's only credential.

With it, anyone could continue the guest's conversation and mint the guest's
order token (and so take the guest's sockets). It is in no staff-facing order
payload: the orders API, the order frames, and the broadcast log replayed to
reconnecting staff.
"""

from __future__ import annotations

import json

from quart import Quart

from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.orders.service import OrderService
from tests.support.tokens import bearer
from tests.support.websockets import Connect, receive, receive_type

GUEST_SESSION = "guest-conversation-" + "x" * 13
ITEM = OrderItemRequest(menu_code="valentine", style_code="grand", quantity=1)


async def test_no_staff_payload_carries_the_guests_session_id(app: Quart, connect: Connect) -> None:
    service: OrderService = app.extensions["order_service"]
    client = app.test_client()
    seen: list[object] = []
    async with (
        connect(app, "manager-1", "manager") as manager,
        connect(app, "cook-1", "cook") as cook,
    ):
        placed = await service.place_order(None, [ITEM], session_id=GUEST_SESSION)
        created = await receive_type(manager, "order.created")
        seen.append(created)
        seen.append(await receive_type(cook, "order.created"))
        order_path = f"/api/orders/{placed.order_id}"
        assign = {"staff_id": "cook-1", "role": "cook"}
        response = await client.post(
            f"{order_path}/assign", json=assign, headers=bearer("manager-1", "manager")
        )
        seen.append(await response.get_json())
        seen.append(await receive_type(cook, "order.assigned"))
        response = await client.post(
            f"{order_path}/status", json={"status": "accepted"}, headers=bearer("cook-1", "cook")
        )
        seen.append(await response.get_json())
        seen.append(await receive_type(cook, "order.status_changed"))
    for path in ("/api/orders", order_path):
        response = await client.get(path, headers=bearer("cook-1", "cook"))
        assert response.status_code == 200
        seen.append(await response.get_json())
    before_created = str(int(created["id"].split("-")[0]) - 1) + "-0"
    async with connect(app, "manager-2", "manager", last_event_id=before_created) as late:
        replayed = await receive(late)
        assert (replayed["type"], replayed["id"]) == ("order.created", created["id"])
        seen.append(replayed)

    assert all(placed.order_id in json.dumps(payload) for payload in seen)
    leaked = [payload for payload in seen if GUEST_SESSION in json.dumps(payload)]
    assert leaked == []
