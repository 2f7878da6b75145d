"""Ids the database cannot store (too long, control characters) are refused, never a 500.

PostgreSQL raises on a NUL byte in text and on a value longer than its column,
where SQLite stores anything: these tests earn their keep on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.extensions import DATABASE
from quart_app.models.base import USER_ID_LENGTH
from tests.support.databases import recorded_statements
from tests.support.tokens import bearer

CUSTOMER = bearer("customer-1", "customer")
MANAGER = bearer("manager-1", "manager")
ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}
TOO_LONG = "x" * (USER_ID_LENGTH + 1)
BAD_SUBS = [TOO_LONG, "customer\x00-1", "line\nbreak", "del\x7f"]


@pytest.fixture
async def order_id(data_client: QuartClient) -> str:
    response = await data_client.post("/api/orders", json={"items": [ITEM]}, headers=CUSTOMER)
    return str((await response.get_json())["order_id"])


@pytest.fixture
async def manager_seen(data_client: QuartClient) -> None:
    """The manager has made a request (staff are recorded as known on their first one)."""
    assert (await data_client.get("/api/staff", headers=MANAGER)).status_code == 200


@pytest.fixture
def statements(data_app: Quart) -> Iterator[list[str]]:
    """Every SQL statement the app runs while the test does."""
    with recorded_statements(data_app.extensions[DATABASE]) as seen:
        yield seen


async def _post(client: QuartClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = await client.post(path, json=body, headers=headers)
    return response.status_code, await response.get_json()


@pytest.mark.parametrize("sub", BAD_SUBS)
async def test_a_token_whose_sub_cannot_be_a_user_id_is_401(
    data_client: QuartClient, order_id: str, sub: str
) -> None:
    placed = await _post(data_client, "/api/orders", {"items": [ITEM]}, bearer(sub, "customer"))
    moved = await _post(
        data_client, f"/api/orders/{order_id}/status", {"status": "accepted"}, bearer(sub, "cook")
    )
    for code, body in (placed, moved):
        assert (code, body["error"]["code"]) == (401, "unauthorized")


async def test_a_sub_as_long_as_the_column_is_accepted(data_client: QuartClient) -> None:
    longest = "y" * USER_ID_LENGTH
    code, order = await _post(
        data_client, "/api/orders", {"items": [ITEM]}, bearer(longest, "customer")
    )
    assert (code, order["customer_id"]) == (201, longest)


@pytest.mark.parametrize("bad_id", ["a%00b", "a%0Ab", "0" * 1000, "ABCDEF" * 6])
async def test_an_order_id_that_cannot_exist_is_404_without_a_query(
    data_client: QuartClient, order_id: str, manager_seen: None, statements: list[str], bad_id: str
) -> None:
    got = await data_client.get(f"/api/orders/{bad_id}", headers=MANAGER)
    moved = await _post(
        data_client, f"/api/orders/{bad_id}/status", {"status": "accepted"}, MANAGER
    )
    assigned = await _post(
        data_client, f"/api/orders/{bad_id}/assign", {"staff_id": "cook-1", "role": "cook"}, MANAGER
    )
    for code, body in ((got.status_code, await got.get_json()), moved, assigned):
        assert (code, body["error"]["code"]) == (404, "not_found")
    # The outbox relay's statements aren't recorded; nothing else may run.
    assert statements == []


@pytest.mark.parametrize("staff_id", ["cook\x00-1", "cook\t1", TOO_LONG])
async def test_a_staff_id_that_cannot_be_a_user_id_is_422(
    data_client: QuartClient, order_id: str, staff_id: str
) -> None:
    code, error = await _post(
        data_client,
        f"/api/orders/{order_id}/assign",
        {"staff_id": staff_id, "role": "cook"},
        MANAGER,
    )
    assert (code, error["error"]["code"]) == (422, "validation_error")
    assert [detail["field"] for detail in error["error"]["details"]] == ["staff_id"]
