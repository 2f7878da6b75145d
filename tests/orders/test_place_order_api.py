"""``POST /api/orders``: who may order, server prices, idempotency, the conversation branch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.extensions import DATABASE, VOICE
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.orders.service import OrderService
from tests.support.databases import reads_order, rendezvous
from tests.support.tokens import bearer
from tests.support.websockets import Serve

CUSTOMER = bearer("customer-1", "customer")
ITEM = {
    "menu_code": "english",
    "style_code": "deluxe",
    "quantity": 2,
    "customizations": {"bacon": 4},
}


async def _place(client: QuartClient, body: Any, **headers: str) -> tuple[int, Any]:
    response = await client.post("/api/orders", json=body, headers={**CUSTOMER, **headers})
    return response.status_code, await response.get_json()


async def test_a_customer_orders_and_the_server_prices_it(data_client: QuartClient) -> None:
    status, order = await _place(data_client, {"items": [ITEM]})
    assert status == 201
    # 42,000 + 10,000 deluxe + 2 extra bacon at 2,000, for two dinners
    assert order["items"] == [
        {**ITEM, "unit_price": 56_000, "line_total": 112_000, "image_id": None, "image_path": None}
    ]
    assert order["total"] == 112_000
    assert order["customer_id"] == "customer-1"
    assert (order["status"], order["version"]) == ("pending", 1)
    assert order["assigned_cook"] is None and order["assigned_delivery"] is None
    assert order["created_at"] == order["updated_at"]
    response = await data_client.get(f"/api/orders/{order['order_id']}", headers=CUSTOMER)
    assert await response.get_json() == order


async def test_guests_and_staff_cannot_order(data_client: QuartClient) -> None:
    response = await data_client.post("/api/orders", json={"items": [ITEM]})
    assert response.status_code == 401
    response = await data_client.post(
        "/api/orders", json={"items": [ITEM]}, headers=bearer("cook-1", "cook")
    )
    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "forbidden"


async def test_a_token_whose_claims_are_not_unicode_text_is_401(data_client: QuartClient) -> None:
    # A lone surrogate once passed auth, then failed with a 500 in the idempotency
    # fingerprint (UnicodeEncodeError) and in ensure_user on PostgreSQL (DataError).
    headers = {**bearer("customer-\ud800", "customer"), "Idempotency-Key": "k-1"}
    response = await data_client.post("/api/orders", json={"items": [ITEM]}, headers=headers)
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{**ITEM, "unit_price": 1}]}, "items.0.unit_price"),
        ({"items": [ITEM], "total": 1}, "total"),
        ({"items": []}, "items"),
        ({"items": [ITEM] * 21}, "items"),
        ({"items": [ITEM], "session_id": "s"}, ""),
        ({}, ""),
        ({"items": [{**ITEM, "quantity": "2"}]}, "items.0.quantity"),
        ({"items": [{**ITEM, "customizations": {"bacon": 11}}]}, "items.0.customizations.bacon"),
        ({"items": [ITEM, {**ITEM, "style_code": "royal"}]}, "items.1.style_code"),
        ({"items": [{**ITEM, "menu_code": "pizza"}]}, "items.0.menu_code"),
        ({"items": [{**ITEM, "customizations": {"caviar": 1}}]}, "items.0.customizations"),
    ],
)
async def test_bad_items_are_422_naming_the_field(
    data_client: QuartClient, body: dict[str, Any], field: str
) -> None:
    status, error = await _place(data_client, body)
    assert status == 422
    assert error["error"]["code"] == "validation_error"
    assert field in [detail["field"] for detail in error["error"]["details"]]


async def test_the_openapi_schema_asks_for_items_or_session_id(data_client: QuartClient) -> None:
    spec = await (await data_client.get("/openapi.json")).get_json()
    body = spec["paths"]["/api/orders"]["post"]["requestBody"]["content"]["application/json"]
    choices = body["schema"]["oneOf"]
    assert [choice["required"] for choice in choices] == [["items"], ["session_id"]]
    # A null member doesn't count as given, as for the model.
    assert [choice["properties"] for choice in choices] == [
        {"items": {"type": "array"}},
        {"session_id": {"type": "string"}},
    ]


async def test_a_retried_request_returns_the_same_order(data_client: QuartClient) -> None:
    first = await _place(data_client, {"items": [ITEM]}, **{"Idempotency-Key": "abc-1"})
    again = await _place(data_client, {"items": [ITEM]}, **{"Idempotency-Key": "abc-1"})
    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    other = await _place(
        data_client, {"items": [{**ITEM, "quantity": 1}]}, **{"Idempotency-Key": "abc-1"}
    )
    assert other[0] == 409
    assert other[1]["error"]["code"] == "idempotency_conflict"


@pytest.mark.parametrize(
    "key", ["", "x" * 201, "has space", "한글", "nul\x00", "tab\there", "del\x7f"]
)
async def test_a_bad_idempotency_key_is_400(data_client: QuartClient, key: str) -> None:
    status, error = await _place(data_client, {"items": [ITEM]}, **{"Idempotency-Key": key})
    assert status == 400
    assert error["error"]["code"] == "invalid_idempotency_key"


async def test_concurrent_retries_place_one_order(
    data_app: Quart, data_client: QuartClient
) -> None:
    headers = {**CUSTOMER, "Idempotency-Key": "double-click"}
    with rendezvous(data_app.extensions[DATABASE], reads_order):
        responses = await asyncio.wait_for(
            asyncio.gather(
                *(
                    data_client.post("/api/orders", json={"items": [ITEM]}, headers=headers)
                    for _ in range(2)
                )
            ),
            30,
        )
    bodies = [await response.get_json() for response in responses]
    assert [response.status_code for response in responses] == [201, 201]
    assert bodies[0] == bodies[1]


async def test_an_unknown_session_is_not_found(data_client: QuartClient) -> None:
    status, error = await _place(data_client, {"session_id": "s-123"})
    assert (status, error["error"]["code"]) == (404, "session_not_found")


async def test_a_session_order_is_placed_by_the_voice_service(
    data_app: Quart,
    data_client: QuartClient,
    order_service: OrderService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def place_from_session(session_id: str, user_id: str | None) -> str:
        seen.append((session_id, user_id))
        item = OrderItemRequest(menu_code="french", style_code="simple")
        placed = await order_service.place_order(user_id, [item], session_id=session_id)
        return placed.order_id

    conversations = data_app.extensions[VOICE].conversations
    monkeypatch.setattr(conversations, "place_order_from_session", place_from_session)
    status, order = await _place(data_client, {"session_id": "s-123"})
    assert status == 201
    assert order["total"] == 48_000
    assert seen == [("s-123", "customer-1")]


async def test_placing_orders_has_a_budget_per_caller(serve: Serve) -> None:
    # Every order placed is announced to all staff: a flood of them is refused.
    async with serve(rate_limit_orders="3/minute") as app:
        client = app.test_client()
        for _ in range(3):
            assert (await _place(client, {"items": [ITEM]}))[0] == 201
        status, refused = await _place(client, {"items": [ITEM]})
        assert status == 429
        assert refused["error"]["code"] == "rate_limited"
        assert refused["error"]["details"]["limit"] == "place_order"
        other = await client.post(
            "/api/orders", json={"items": [ITEM]}, headers=bearer("customer-2", "customer")
        )
        assert other.status_code == 201
        listed = await client.get("/api/orders", headers=bearer("m1", "manager"))
        assert len((await listed.get_json())["orders"]) == 4
