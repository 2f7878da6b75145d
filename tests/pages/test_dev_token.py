"""``POST /api/dev/token`` (docs/contract.md §2.7): development only."""

from __future__ import annotations

from collections.abc import Callable

from quart.testing import QuartClient

from config import Settings
from quart_app import create_app
from quart_app.services.auth.tokens import decode_token
from tests.support.tokens import KEYS


async def test_development_mints_a_token_for_the_user_and_role(client: QuartClient) -> None:
    response = await client.post("/api/dev/token", json={"user_id": "cook-7", "role": "cook"})
    assert response.status_code == 200
    body = await response.get_json()
    principal = decode_token(KEYS, body["token"])
    assert (principal.user_id, principal.role) == ("cook-7", "cook")
    assert body["expires_in"] > 0
    orders = await client.get("/api/ws/stats", headers={"Authorization": f"Bearer {body['token']}"})
    assert orders.status_code == 403  # a real token: a cook is not a manager


async def test_a_host_other_than_loopback_gets_no_token(client: QuartClient) -> None:
    # A page on evil.example whose name now resolves to 127.0.0.1 (DNS rebinding).
    response = await client.post(
        "/api/dev/token",
        json={"user_id": "manager-1", "role": "manager"},
        headers={"Host": "evil.example:8000"},
    )
    assert response.status_code == 403
    body = await response.get_json()
    assert body["error"]["code"] == "forbidden" and "token" not in body


async def test_an_unknown_role_or_a_missing_user_is_422(client: QuartClient) -> None:
    for body in (
        {"user_id": "x", "role": "chef"},
        {"role": "cook"},
        {"user_id": "", "role": "cook"},
    ):
        response = await client.post("/api/dev/token", json=body)
        assert response.status_code == 422, body
        assert (await response.get_json())["error"]["code"] == "validation_error"


async def test_production_has_no_such_route(make_settings: Callable[..., Settings]) -> None:
    async with create_app(make_settings(app_env="production")).test_app() as app:
        response = await app.test_client().post(
            "/api/dev/token", json={"user_id": "manager-1", "role": "manager"}
        )
        assert response.status_code == 404
        assert (await response.get_json())["error"]["code"] == "not_found"
