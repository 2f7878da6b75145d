"""The whole path on the real Redis: the app, its embedded reference AI worker, the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from quart.testing import QuartClient
from redis.asyncio import Redis

from config import Settings
from quart_app import create_app
from tests.support.tokens import bearer
from tests.support.voice_api import say

pytestmark = pytest.mark.redis

MEMBER = bearer("42", "customer")


@pytest.fixture
async def live_client(
    make_settings: Callable[..., Settings], redis_url: str
) -> AsyncIterator[QuartClient]:
    """The app as deployed: Redis bus, its own AI worker, SQLite with the demo catalog."""
    async with Redis.from_url(redis_url) as redis:
        await redis.flushdb()
    settings = make_settings(bus_url=redis_url, ai_worker="embedded", ai_timeout=10.0)
    async with create_app(settings).test_app() as serving:
        client: QuartClient = serving.test_client()  # type: ignore[assignment]
        yield client


async def _talk(client: QuartClient, *lines: str) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    session_id = None
    for line in lines:
        status, body = await say(client, line, session_id, user_id="42", headers=MEMBER)
        assert status == 200, body
        answers.append(body)
        session_id = body["session_id"]
    return answers


async def test_a_spoken_order_is_placed_and_readable(live_client: QuartClient) -> None:
    first, confirmed = await _talk(live_client, "Two French dinners in grand style please", "yes")

    assert first["state"] == "confirmation"
    assert first["order_state"]["total"] == 106000  # 2 x (48,000 + grand 5,000), as seeded
    assert confirmed["state"] == "completed"
    response = await live_client.get(f"/api/orders/{confirmed['order_id']}", headers=MEMBER)
    order = await response.get_json()
    assert response.status_code == 200, order
    assert (order["customer_id"], order["status"], order["total"]) == ("42", "pending", 106000)


async def test_post_orders_places_the_order_a_conversation_reached(
    live_client: QuartClient,
) -> None:
    (first,) = await _talk(live_client, "Two French dinners in grand style please")

    response = await live_client.post(
        "/api/orders", json={"session_id": first["session_id"]}, headers=MEMBER
    )
    order = await response.get_json()
    again = await live_client.post(
        "/api/orders", json={"session_id": first["session_id"]}, headers=MEMBER
    )

    assert response.status_code == 201, order
    assert order["total"] == 106000
    assert (await again.get_json())["order_id"] == order["order_id"]


async def test_post_orders_refuses_a_conversation_not_yet_confirmable(
    live_client: QuartClient,
) -> None:
    (first,) = await _talk(live_client, "hello")

    response = await live_client.post(
        "/api/orders", json={"session_id": first["session_id"]}, headers=MEMBER
    )

    assert response.status_code == 409
    assert (await response.get_json())["error"]["code"] == "session_not_confirmed"


async def test_an_image_comes_from_the_reference_worker(live_client: QuartClient) -> None:
    response = await live_client.post(
        "/api/customizations/generate-ai-image", json={"prompt": "a red heart cake"}
    )
    body = await response.get_json()
    served = await live_client.get(body["image_path"])

    assert response.status_code == 201, body
    assert served.headers["Content-Type"] in {"image/png", "image/jpeg", "image/webp"}
