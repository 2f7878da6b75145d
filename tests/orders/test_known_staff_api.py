"""Staff are known (assignable) users once they authenticate; managers list them."""

from __future__ import annotations

from quart.testing import QuartClient

from tests.support.tokens import bearer

MANAGER = bearer("manager-1", "manager")
ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}


async def place(client: QuartClient) -> str:
    response = await client.post(
        "/api/orders", json={"items": [ITEM]}, headers=bearer("customer-1", "customer")
    )
    return str((await response.get_json())["order_id"])


async def assign(client: QuartClient, order_id: str, staff_id: str, role: str) -> int:
    response = await client.post(
        f"/api/orders/{order_id}/assign",
        json={"staff_id": staff_id, "role": role},
        headers=MANAGER,
    )
    return response.status_code


async def test_a_cook_who_only_signed_in_can_be_assigned(data_client: QuartClient) -> None:
    order_id = await place(data_client)
    assert await assign(data_client, order_id, "cook-new", "cook") == 422
    response = await data_client.get("/api/orders", headers=bearer("cook-new", "cook"))
    assert response.status_code == 200
    assert await assign(data_client, order_id, "cook-new", "cook") == 200


async def test_managers_list_the_known_cooks_and_couriers(data_client: QuartClient) -> None:
    await data_client.get("/api/menus", headers=bearer("courier-new", "delivery"))
    await data_client.get("/api/menus", headers=bearer("shopper", "customer"))
    await data_client.get("/api/menus", headers=bearer("boss-2", "manager"))
    response = await data_client.get("/api/staff", headers=MANAGER)
    assert response.status_code == 200
    staff = {(member["user_id"], member["role"]) for member in (await response.get_json())["staff"]}
    assert {("cook-1", "cook"), ("delivery-1", "delivery"), ("courier-new", "delivery")} <= staff
    assert not {user for user, _ in staff} & {"shopper", "boss-2", "manager-1"}
    for headers in (bearer("cook-1", "cook"), {}):
        assert (await data_client.get("/api/staff", headers=headers)).status_code in (401, 403)


async def test_a_bad_token_makes_no_one_known_and_still_gets_its_401(
    data_client: QuartClient,
) -> None:
    forged = bearer("cook-forged", "cook", secret="another-secret-key-that-is-long-enough")
    assert (await data_client.get("/api/orders", headers=forged)).status_code == 401
    assert (await data_client.get("/healthz", headers=forged)).status_code == 200
    order_id = await place(data_client)
    assert await assign(data_client, order_id, "cook-forged", "cook") == 422
