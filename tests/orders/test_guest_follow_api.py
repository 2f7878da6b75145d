"""A guest follows their order with an order token got from the conversation's id;
staff list the newest orders."""

from __future__ import annotations

import pytest
from quart.testing import QuartClient

from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import decode_token, mint_order_token, mint_token
from quart_app.services.orders.service import OrderService
from tests.support.tokens import KEYS, SECRET, bearer

SESSION = "s" * 32
ITEM = OrderItemRequest(menu_code="valentine", style_code="grand", quantity=1)


@pytest.fixture
async def guest_order(order_service: OrderService) -> str:
    return (await order_service.place_order(None, [ITEM], session_id=SESSION)).order_id


async def follow(client: QuartClient, order_id: str, session_id: str) -> tuple[int, dict]:
    response = await client.post(
        f"/api/orders/{order_id}/follow-token", json={"session_id": session_id}
    )
    return response.status_code, await response.get_json()


async def test_the_conversation_that_placed_an_order_gets_a_token_for_it(
    data_client: QuartClient, guest_order: str
) -> None:
    status, body = await follow(data_client, guest_order, SESSION)
    assert status == 200
    assert body["user_id"] == f"order:{guest_order}"
    assert body["user_type"] == "customer"
    principal = decode_token(KEYS, body["token"])
    assert (principal.user_id, principal.order_id) == (body["user_id"], guest_order)
    token = {"Authorization": f"Bearer {body['token']}"}
    response = await data_client.get(f"/api/orders/{guest_order}", headers=token)
    assert response.status_code == 200
    assert (await response.get_json())["status"] == "pending"


async def test_another_conversation_or_order_gets_404(
    data_client: QuartClient, guest_order: str, order_service: OrderService
) -> None:
    assert (await follow(data_client, guest_order, "t" * 32))[0] == 404
    assert (await follow(data_client, "0" * 32, SESSION))[0] == 404
    member = await order_service.place_order("customer-1", [ITEM], session_id="m" * 32)
    status, body = await follow(data_client, member.order_id, "m" * 32)
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_an_order_token_reads_its_order_and_nothing_else(
    data_client: QuartClient, guest_order: str, order_service: OrderService
) -> None:
    other = (await order_service.place_order(None, [ITEM], session_id="o" * 32)).order_id
    token = {"Authorization": f"Bearer {mint_order_token(SECRET, guest_order, ttl=60)}"}
    assert (await data_client.get(f"/api/orders/{other}", headers=token)).status_code == 404
    refused = [
        await data_client.post("/api/orders", json={"items": [ITEM.model_dump()]}, headers=token),
        await data_client.post(
            f"/api/orders/{guest_order}/status", json={"status": "cancelled"}, headers=token
        ),
        await data_client.post(
            "/api/voice/analyze",
            json={"transcript": "hi", "user_id": f"order:{guest_order}", "session_id": None},
            headers=token,
        ),
    ]
    for response in refused:
        assert response.status_code == 403
        assert (await response.get_json())["error"]["code"] == "forbidden"


async def test_no_ordinary_token_may_name_an_order_follower(
    data_client: QuartClient, guest_order: str
) -> None:
    forged = {"Authorization": f"Bearer {mint_token(SECRET, f'order:{guest_order}', 'customer')}"}
    response = await data_client.get(f"/api/orders/{guest_order}", headers=forged)
    assert response.status_code == 401


async def test_staff_list_the_newest_orders_first(
    data_client: QuartClient, order_service: OrderService
) -> None:
    placed = [(await order_service.place_order("customer-1", [ITEM])).order_id for _ in range(3)]
    response = await data_client.get("/api/orders?limit=2", headers=bearer("cook-1", "cook"))
    assert response.status_code == 200
    listed = [order["order_id"] for order in (await response.get_json())["orders"]]
    assert listed == placed[::-1][:2]
    for headers in (bearer("customer-1", "customer"), {}):
        assert (await data_client.get("/api/orders", headers=headers)).status_code in (401, 403)
    too_many = await data_client.get("/api/orders?limit=100000", headers=bearer("cook-1", "cook"))
    assert too_many.status_code == 422
