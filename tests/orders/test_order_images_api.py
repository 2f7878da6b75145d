"""Order lines carry cake pictures: only the customer's own, kept as long as the order."""

from __future__ import annotations

from datetime import timedelta

from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import select

from quart_app.extensions import get_media_store
from quart_app.models import OrderItem
from quart_app.services.media.store import MediaStore
from quart_app.services.orders.images import conversation_owner
from tests.support.images import image_bytes
from tests.support.tokens import bearer

CUSTOMER = bearer("customer-1", "customer")
ITEM = {"menu_code": "custom_cake", "style_code": "simple", "quantity": 1}


async def picture_of(app: Quart, owner: str | None) -> str:
    async with app.app_context():
        store: MediaStore = get_media_store()
        return (await store.put(image_bytes("PNG"), "image/png", owner=owner)).image_id


async def place(client: QuartClient, image_id: str) -> tuple[int, dict]:
    response = await client.post(
        "/api/orders", json={"items": [{**ITEM, "image_id": image_id}]}, headers=CUSTOMER
    )
    return response.status_code, await response.get_json()


async def test_an_order_line_carries_the_customers_picture(
    data_app: Quart, data_client: QuartClient
) -> None:
    image_id = await picture_of(data_app, "customer-1")
    status, order = await place(data_client, image_id)
    assert status == 201, order
    line = order["items"][0]
    assert line["image_id"] == image_id
    assert line["image_path"] == f"/media/{image_id}.png"
    again = await data_client.get(f"/api/orders/{order['order_id']}", headers=CUSTOMER)
    assert (await again.get_json())["items"][0]["image_path"] == line["image_path"]
    served = await data_client.get(line["image_path"])
    assert (served.status_code, served.headers["Content-Type"]) == (200, "image/png")


async def test_an_unknown_picture_or_someone_elses_is_422(
    data_app: Quart, data_client: QuartClient
) -> None:
    others = [
        "no-such-picture-0123456789",
        await picture_of(data_app, "customer-2"),
        await picture_of(data_app, None),
        await picture_of(data_app, conversation_owner("s" * 32)),
    ]
    for image_id in others:
        status, body = await place(data_client, image_id)
        assert status == 422, image_id
        assert body["error"]["details"] == [
            {
                "field": "items.0.image_id",
                "message": body["error"]["details"][0]["message"],
                "type": "unknown_image",
            }
        ]


async def test_a_picture_an_order_carries_outlives_the_retention(
    data_app: Quart, data_client: QuartClient
) -> None:
    kept = await picture_of(data_app, "customer-1")
    dropped = await picture_of(data_app, "customer-1")
    assert (await place(data_client, kept))[0] == 201
    async with data_app.app_context():
        store = get_media_store()
        deleted = await store.delete_unclaimed(
            older_than=timedelta(0), claimed=select(OrderItem.image_id)
        )
        assert deleted == 1
        assert await store.describe(kept) is not None
        assert await store.describe(dropped) is None
