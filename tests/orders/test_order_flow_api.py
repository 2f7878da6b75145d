"""Reading, assigning and moving orders over HTTP: roles, 404s, 409s, one winner per race."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.extensions import DATABASE
from tests.support.databases import reads_order, rendezvous
from tests.support.tokens import bearer

CUSTOMER = bearer("customer-1", "customer")
COOK = bearer("cook-1", "cook")
COURIER = bearer("delivery-1", "delivery")
MANAGER = bearer("manager-1", "manager")
ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}


@pytest.fixture
async def order_id(data_client: QuartClient) -> str:
    response = await data_client.post("/api/orders", json={"items": [ITEM]}, headers=CUSTOMER)
    return str((await response.get_json())["order_id"])


async def _status(
    client: QuartClient, order_id: str, status: str, headers: dict[str, str]
) -> tuple[int, Any]:
    response = await client.post(
        f"/api/orders/{order_id}/status", json={"status": status}, headers=headers
    )
    return response.status_code, await response.get_json()


async def test_an_order_is_seen_by_its_customer_and_staff_only(
    data_client: QuartClient, order_id: str
) -> None:
    for headers in (CUSTOMER, COOK, COURIER, MANAGER):
        response = await data_client.get(f"/api/orders/{order_id}", headers=headers)
        assert response.status_code == 200
    response = await data_client.get(f"/api/orders/{order_id}", headers=bearer("c-9", "customer"))
    assert response.status_code == 404
    assert (await data_client.get(f"/api/orders/{order_id}")).status_code == 401
    response = await data_client.get("/api/orders/no-such-order", headers=MANAGER)
    assert (response.status_code, (await response.get_json())["error"]["code"]) == (
        404,
        "not_found",
    )


async def test_an_order_goes_from_pending_to_delivered(
    data_client: QuartClient, order_id: str
) -> None:
    steps = [
        ("accepted", COOK),
        ("cooking", COOK),
        ("ready", COOK),
        ("delivering", COURIER),
        ("delivered", COURIER),
    ]
    for version, (status, headers) in enumerate(steps, start=2):
        code, order = await _status(data_client, order_id, status, headers)
        assert (code, order["status"], order["version"]) == (200, status, version)
    code, error = await _status(data_client, order_id, "cancelled", MANAGER)
    assert (code, error["error"]["code"]) == (409, "illegal_transition")


@pytest.mark.parametrize(
    ("status", "headers", "code", "error"),
    [
        ("delivering", COOK, 409, "illegal_transition"),  # not a step from pending
        ("accepted", COURIER, 403, "forbidden"),
        ("accepted", CUSTOMER, 403, "forbidden"),
        ("cancelled", bearer("c-9", "customer"), 404, "not_found"),
        ("shipped", MANAGER, 422, "validation_error"),
    ],
)
async def test_refused_steps(
    data_client: QuartClient,
    order_id: str,
    status: str,
    headers: dict[str, str],
    code: int,
    error: str,
) -> None:
    got, body = await _status(data_client, order_id, status, headers)
    assert (got, body["error"]["code"]) == (code, error)


async def test_a_customer_cancels_their_own_order_until_cooking(
    data_client: QuartClient, order_id: str
) -> None:
    assert (await _status(data_client, order_id, "accepted", COOK))[0] == 200
    code, order = await _status(data_client, order_id, "cancelled", CUSTOMER)
    assert (code, order["status"]) == (200, "cancelled")
    response = await data_client.post("/api/orders", json={"items": [ITEM]}, headers=CUSTOMER)
    cooking = (await response.get_json())["order_id"]
    for status in ("accepted", "cooking"):
        await _status(data_client, cooking, status, COOK)
    code, error = await _status(data_client, cooking, "cancelled", CUSTOMER)
    assert (code, error["error"]["code"]) == (409, "illegal_transition")


async def test_a_manager_assigns_known_staff(data_client: QuartClient, order_id: str) -> None:
    async def assign(body: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        response = await data_client.post(
            f"/api/orders/{order_id}/assign", json=body, headers=headers
        )
        return response.status_code, await response.get_json()

    code, order = await assign({"staff_id": "cook-2", "role": "cook"}, MANAGER)
    assert (code, order["assigned_cook"], order["version"]) == (200, "cook-2", 2)
    code, order = await assign({"staff_id": "delivery-2", "role": "delivery"}, MANAGER)
    assert (code, order["assigned_delivery"]) == (200, "delivery-2")
    assert (await assign({"staff_id": "cook-2", "role": "cook"}, COOK))[0] == 403
    code, error = await assign({"staff_id": "cook-2", "role": "delivery"}, MANAGER)
    assert (code, error["error"]["details"][0]["field"]) == (422, "staff_id")
    assert (await assign({"staff_id": "cook-2", "role": "manager"}, MANAGER))[0] == 422
    await _status(data_client, order_id, "cancelled", MANAGER)
    code, error = await assign({"staff_id": "cook-1", "role": "cook"}, MANAGER)
    assert (code, error["error"]["code"]) == (409, "illegal_transition")


async def test_two_staff_moving_one_order_at_once_one_gets_409(
    data_app: Quart, data_client: QuartClient, order_id: str
) -> None:
    cooks = [bearer("cook-1", "cook"), bearer("cook-2", "cook")]
    with rendezvous(data_app.extensions[DATABASE], reads_order):
        results = await asyncio.wait_for(
            asyncio.gather(*(_status(data_client, order_id, "accepted", cook) for cook in cooks)),
            30,
        )
    assert sorted(code for code, _ in results) == [200, 409]
    order = await (await data_client.get(f"/api/orders/{order_id}", headers=MANAGER)).get_json()
    assert (order["status"], order["version"]) == ("accepted", 2)


async def test_a_known_user_arriving_with_a_new_role_is_recorded_with_it(
    data_client: QuartClient, order_id: str
) -> None:
    # The platform's auth service decides roles: cook-2 is a courier from today.
    await data_client.get("/api/orders?limit=1", headers=bearer("cook-2", "delivery"))
    body = {"staff_id": "cook-2", "role": "cook"}
    path = f"/api/orders/{order_id}/assign"
    response = await data_client.post(path, json=body, headers=MANAGER)
    assert response.status_code == 422
    body["role"] = "delivery"
    response = await data_client.post(path, json=body, headers=MANAGER)
    assert (await response.get_json())["assigned_delivery"] == "cook-2"
