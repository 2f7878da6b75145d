"""``POST /api/kudos`` through the real app, on the kit's fixtures."""

from __future__ import annotations

from typing import Any

from quart_app.testing import AppUnderTest, Client, Tokens

CUSTOMER = ("customer-1", "customer")
DELIVERY_STEPS = ("accepted", "cooking", "ready", "delivering", "delivered")


async def place_order(client: Client, tokens: Tokens, steps: tuple[str, ...] = ()) -> str:
    """A demo customer's order, moved along ``steps`` by a manager; its id."""
    response = await client.post(
        "/api/orders",
        json={"items": [{"menu_code": "french", "style_code": "grand", "quantity": 1}]},
        headers=tokens.bearer(*CUSTOMER),
    )
    order_id: str = (await response.get_json())["order_id"]
    for status in steps:
        moved = await client.post(
            f"/api/orders/{order_id}/status",
            json={"status": status},
            headers=tokens.bearer("manager-1", "manager"),
        )
        assert moved.status_code == 200, await moved.get_json()
    return order_id


async def send(client: Client, headers: dict[str, str], **body: Any) -> tuple[int, Any]:
    response = await client.post("/api/kudos", json=body, headers=headers)
    return response.status_code, await response.get_json()


async def test_staff_hear_a_customers_thanks_for_a_delivered_order(
    voice_service: AppUnderTest,
) -> None:
    client, tokens = voice_service.client(), voice_service.tokens
    order_id = await place_order(client, tokens, DELIVERY_STEPS)

    async with voice_service.socket("cook-1", "cook") as cook:
        status, body = await send(
            client, tokens.bearer(*CUSTOMER), order_id=order_id, message="Lovely steak!"
        )
        frame = await cook.wait_for("kudos.received")

    assert status == 201
    assert frame["id"] == body["event_id"]
    assert frame["data"] == {
        "order_id": order_id,
        "customer_id": "customer-1",
        "message": "Lovely steak!",
    }


async def test_an_order_not_yet_delivered_gets_no_kudos(
    voice_client: Client, voice_tokens: Tokens
) -> None:
    order_id = await place_order(voice_client, voice_tokens, DELIVERY_STEPS[:2])

    status, body = await send(
        voice_client, voice_tokens.bearer(*CUSTOMER), order_id=order_id, message="Thanks"
    )

    assert status == 409
    assert body["error"]["code"] == "not_delivered"
    assert "cooking" in body["error"]["message"]


async def test_only_the_orders_customer_may_thank_for_it(
    voice_client: Client, voice_tokens: Tokens
) -> None:
    order_id = await place_order(voice_client, voice_tokens, DELIVERY_STEPS)
    body = {"order_id": order_id, "message": "Thanks"}

    someone_else = await send(voice_client, voice_tokens.bearer("customer-2", "customer"), **body)
    staff = await send(voice_client, voice_tokens.bearer("cook-1", "cook"), **body)
    guest = await send(voice_client, {}, **body)

    assert [someone_else[0], staff[0], guest[0]] == [404, 403, 401]
    assert [reply["error"]["code"] for _, reply in (someone_else, staff, guest)] == [
        "not_found",
        "forbidden",
        "unauthorized",
    ]


async def test_a_bad_body_is_refused_in_the_error_shape(
    voice_client: Client, voice_tokens: Tokens
) -> None:
    status, body = await send(
        voice_client, voice_tokens.bearer(*CUSTOMER), order_id="x", message=""
    )

    assert status == 422
    assert set(body["error"]) == {"code", "message", "details"}
