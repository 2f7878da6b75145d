"""A PostgreSQL outage (a private cluster, stopped and started): what needs no database keeps
working, what does answers 503 ``database_unavailable`` and changes nothing, and everything
recovers once the database is back (docs/contract.md §3; README "What each fault costs")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from quart.testing import QuartClient

from config import Settings
from quart_app import create_app
from tests.support.postgres_server import PostgresServer
from tests.support.tokens import bearer
from tests.support.voice_api import say
from tests.support.waiting import eventually
from tests.support.websockets import auth_frame, receive, receive_type

pytestmark = pytest.mark.slow

ORDER_LINE = "Two French dinners in grand style please"
ITEM = {"menu_code": "french", "style_code": "grand", "quantity": 1}
CUSTOMER = bearer("42", "customer")
COOK = bearer("cook-1", "cook")


@pytest.fixture
async def postgres() -> AsyncIterator[PostgresServer]:
    server = PostgresServer()
    try:
        await server.create()
        await server.start()
        yield server
    finally:
        await server.remove()


def assert_database_unavailable(status: int, body: dict[str, Any], headers: Any) -> None:
    assert status == 503, body
    assert body["error"]["code"] == "database_unavailable"
    assert int(headers["Retry-After"]) > 0


async def test_an_outage_costs_what_needs_the_database_and_nothing_after(
    make_settings: Callable[..., Settings], postgres: PostgresServer
) -> None:
    settings = make_settings(
        database_url=postgres.url, ai_worker="embedded", ai_timeout=10.0, outbox_poll_interval=0.2
    )
    async with create_app(settings).test_app() as serving:
        client: QuartClient = serving.test_client()  # type: ignore[assignment]
        placed = await client.post("/api/orders", json={"items": [ITEM]}, headers=CUSTOMER)
        assert placed.status_code == 201
        order_id = (await placed.get_json())["order_id"]
        status, before = await say(client, ORDER_LINE)  # a guest; the catalog is now cached
        assert (status, before["state"]) == (200, "confirmation"), before

        await postgres.stop()
        # A conversation needs no database until it places its order.
        status, other = await say(client, ORDER_LINE)
        assert (status, other["state"]) == (200, "confirmation"), other
        response = await client.post(
            "/api/voice/analyze", json={"transcript": "yes", "session_id": before["session_id"]}
        )
        assert_database_unavailable(
            response.status_code, await response.get_json(), response.headers
        )
        for path, body, headers in (
            ("/api/orders", {"items": [ITEM]}, CUSTOMER),
            (f"/api/orders/{order_id}/status", {"status": "accepted"}, COOK),
        ):
            response = await client.post(path, json=body, headers=headers)
            assert_database_unavailable(
                response.status_code, await response.get_json(), response.headers
            )
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert (await ready.get_json())["error"]["details"]["checks"]["database"] != "ok"

        await postgres.start()

        async def ready_again() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready_again, within=10)
        async with client.websocket("/api/ws") as cook:
            await cook.send(auth_frame("cook-1", "cook"))
            assert (await receive(cook))["type"] == "connected"
            # The conversation was left at confirmation: saying yes again places one order.
            status, confirmed = await say(client, "yes", before["session_id"])
            assert (status, confirmed["state"]) == (200, "completed"), confirmed
            created = await receive_type(cook, "order.created", 20)
            assert created["data"]["order_id"] == confirmed["order_id"]
        staff_view = await client.get("/api/orders", headers=bearer("m1", "manager"))
        orders = (await staff_view.get_json())["orders"]
        assert sorted(o["order_id"] for o in orders) == sorted([order_id, confirmed["order_id"]])
