"""The in-process signals a team connects to, sent by the services as requests change things."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from blinker import NamedSignal
from quart import Quart
from quart.testing import QuartClient

from config import Settings
from quart_app import create_app
from quart_app.extensions import ORDER_SERVICE, VOICE
from quart_app.services.signals import (
    order_assigned,
    order_created,
    order_status_changed,
    turn_analyzed,
)
from tests.support.tokens import bearer

CUSTOMER = bearer("c-1", "customer")
COOK = bearer("cook-1", "cook")
MANAGER = bearer("manager-1", "manager")
TWO_FRENCH_GRAND = {"menu_code": "french", "style_code": "grand", "quantity": 2}
ORDER_SPOKEN = "Two French dinners in grand style please"

Heard = dict[str, list[tuple[Any, dict[str, Any]]]]


@pytest.fixture
async def served(make_settings: Callable[..., Settings]) -> AsyncIterator[Quart]:
    """The app with its embedded rules engine: conversations reach orders without Redis."""
    async with create_app(make_settings(ai_worker="embedded")).test_app() as serving:
        yield serving.app


@pytest.fixture
def client(served: Quart) -> QuartClient:
    return served.test_client()


@pytest.fixture
def heard() -> Iterator[Heard]:
    """What each signal's receivers got, ``(sender, data)`` per send, from any sender."""
    calls: Heard = {}
    with ExitStack() as stack:
        for signal in (order_created, order_assigned, order_status_changed, turn_analyzed):
            stack.enter_context(signal.connected_to(_recorder(signal, calls)))
        yield calls


def _recorder(signal: NamedSignal, calls: Heard) -> Callable[..., None]:
    def receive(sender: Any, **data: Any) -> None:
        calls.setdefault(signal.name, []).append((sender, data))

    return receive


async def _post(client: QuartClient, path: str, body: Any, headers: Any) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    answer: dict[str, Any] = await response.get_json()
    assert response.status_code in (200, 201), answer
    return answer


async def test_an_order_posted_is_announced_by_the_order_service(
    served: Quart, client: QuartClient, heard: Heard
) -> None:
    order = await _post(client, "/api/orders", {"items": [TWO_FRENCH_GRAND]}, CUSTOMER)
    assert heard["order-created"] == [(served.extensions[ORDER_SERVICE], {"order": order})]


async def test_assignment_and_status_changes_carry_the_order_as_it_became(
    served: Quart, client: QuartClient, heard: Heard
) -> None:
    order = await _post(client, "/api/orders", {"items": [TWO_FRENCH_GRAND]}, CUSTOMER)
    path = f"/api/orders/{order['order_id']}"
    await _post(client, f"{path}/status", {"status": "accepted"}, COOK)  # the cook becomes known
    assigned = await _post(
        client, f"{path}/assign", {"staff_id": "cook-1", "role": "cook"}, MANAGER
    )
    service = served.extensions[ORDER_SERVICE]
    assert heard["order-assigned"] == [
        (service, {"order": assigned, "staff_id": "cook-1", "role": "cook"})
    ]
    ((sender, changed),) = heard["order-status-changed"]
    assert (sender, changed["previous_status"], changed["order"]["status"]) == (
        service,
        "pending",
        "accepted",
    )


async def _say(client: QuartClient, transcript: str, session_id: str | None) -> dict[str, Any]:
    body = {"transcript": transcript, "session_id": session_id, "user_id": "c-1"}
    return await _post(client, "/api/voice/analyze", body, CUSTOMER)


async def test_a_confirmed_conversation_announces_its_turns_and_its_order(
    served: Quart, client: QuartClient, heard: Heard
) -> None:
    first = await _say(client, ORDER_SPOKEN, None)
    confirmed = await _say(client, "yes", first["session_id"])

    voice = served.extensions[VOICE].conversations
    turn = {"session_id": first["session_id"], "user_id": "c-1"}
    assert heard["turn-analyzed"] == [
        (voice, {**turn, "transcript": ORDER_SPOKEN, "answer": first}),
        (voice, {**turn, "transcript": "yes", "answer": confirmed}),
    ]
    ((sender, placed),) = heard["order-created"]
    assert sender is served.extensions[ORDER_SERVICE]
    assert placed["order"]["order_id"] == confirmed["order_id"]


async def test_post_orders_with_a_conversation_announces_its_order_once(
    client: QuartClient, heard: Heard
) -> None:
    first = await _say(client, ORDER_SPOKEN, None)
    order = await _post(client, "/api/orders", {"session_id": first["session_id"]}, CUSTOMER)
    await _post(client, "/api/orders", {"session_id": first["session_id"]}, CUSTOMER)
    assert [data["order"]["order_id"] for _, data in heard["order-created"]] == [order["order_id"]]
