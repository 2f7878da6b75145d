"""A spoken "yes" places an order only for whom ``POST /api/orders`` would, within the same
``place_order`` budget; a refusal leaves the conversation at confirmation."""

from __future__ import annotations

import uuid
from typing import Any

from quart.testing import QuartClient
from werkzeug.datastructures import Headers

from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.tokens import bearer
from tests.support.voice_api import (
    FakeVoiceData,
    StartApp,
    confirmed,
    confirming,
    llm_answer,
    say,
)


def _member(user_id: str, role: str) -> tuple[dict[str, str], str]:
    return bearer(user_id, role), user_id


GUEST: tuple[dict[str, str], None] = ({}, None)


async def _to_confirmation(
    client: QuartClient, ai_server: ScriptedAIServer, who: tuple[dict[str, str], str | None]
) -> str:
    headers, user_id = who
    ai_server.llm.queue(confirming())
    status, body = await say(client, "french grand", headers=headers, user_id=user_id)
    assert (status, body["state"]) == (200, "confirmation"), body
    session_id: str = body["session_id"]
    return session_id


async def _yes(
    client: QuartClient,
    ai_server: ScriptedAIServer,
    session_id: str,
    who: tuple[dict[str, str], str | None],
) -> tuple[int, dict[str, Any], Headers]:
    headers, user_id = who
    ai_server.llm.queue(confirmed())
    response = await client.post(
        "/api/voice/analyze",
        json={"transcript": "yes", "session_id": session_id, "user_id": user_id},
        headers=headers,
    )
    return response.status_code, await response.get_json(), response.headers


async def test_staff_may_not_place_an_order_by_voice(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp, data: FakeVoiceData
) -> None:
    client = await start_app(backend.bus)
    cook = _member(f"cook-{uuid.uuid4().hex}", "cook")
    session_id = await _to_confirmation(client, ai_server, cook)

    status, body, _ = await _yes(client, ai_server, session_id, cook)

    assert (status, body["error"]["code"]) == (403, "forbidden"), body
    assert data.orders == {}
    ai_server.llm.queue(llm_answer("Still here."))
    status, after = await say(client, "hello?", session_id, headers=cook[0], user_id=cook[1])
    assert (status, after["state"]) == (200, "confirmation")


async def test_a_customer_and_a_guest_place_their_orders_by_voice(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp, data: FakeVoiceData
) -> None:
    client = await start_app(backend.bus)
    customer_id = f"customer-{uuid.uuid4().hex}"
    for who in (_member(customer_id, "customer"), GUEST):
        session_id = await _to_confirmation(client, ai_server, who)
        status, body, _ = await _yes(client, ai_server, session_id, who)
        assert (status, body["state"]) == (200, "completed"), body
    assert [customer for customer, _, _ in data.orders.values()] == [customer_id, None]


async def test_orders_by_voice_spend_the_place_order_budget(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp, data: FakeVoiceData
) -> None:
    client = await start_app(backend.bus, rate_limit_orders="1/minute")
    customer = _member(f"customer-{uuid.uuid4().hex}", "customer")
    first = await _to_confirmation(client, ai_server, customer)
    second = await _to_confirmation(client, ai_server, customer)

    placed, _, _ = await _yes(client, ai_server, first, customer)
    status, body, headers = await _yes(client, ai_server, second, customer)

    assert placed == 200
    assert (status, body["error"]["code"]) == (429, "rate_limited"), body
    assert body["error"]["details"]["limit"] == "place_order"
    assert int(headers["Retry-After"]) >= 1
    assert len(data.orders) == 1
    # The same budget as POST /api/orders: that is refused too.
    posted = await client.post("/api/orders", json={"session_id": second}, headers=customer[0])
    assert posted.status_code == 429
    ai_server.llm.queue(llm_answer("Still here."))
    status, after = await say(client, "hello?", second, headers=customer[0], user_id=customer[1])
    assert (status, after["state"]) == (200, "confirmation")
