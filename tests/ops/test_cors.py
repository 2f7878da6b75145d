"""CORS_ORIGINS: none allowed by default; a listed origin's preflight is answered."""

from __future__ import annotations

from collections.abc import Callable

from quart.testing import QuartClient

from config import Settings
from quart_app import create_app

ALLOWED = "https://shop.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization",
}


async def _preflight(client: QuartClient, origin: str) -> dict[str, str]:
    response = await client.options("/api/voice/analyze", headers={"Origin": origin, **PREFLIGHT})
    return dict(response.headers)


async def test_a_listed_origin_is_answered_and_others_are_not(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(cors_origins=f"{ALLOWED},http://localhost:3000")
    async with create_app(settings).test_app() as app:
        client = app.test_client()
        allowed = await _preflight(client, ALLOWED)
        other = await _preflight(client, "https://evil.example")
        menus = await client.get("/api/menus", headers={"Origin": ALLOWED})

    assert allowed["access-control-allow-origin"] == ALLOWED
    assert "POST" in allowed["access-control-allow-methods"]
    assert {h.strip().lower() for h in allowed["access-control-allow-headers"].split(",")} == {
        "content-type",
        "authorization",
    }
    assert not any(name.startswith("access-control-") for name in other)
    assert menus.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Request-ID" in menus.headers["Access-Control-Expose-Headers"]


async def test_no_origin_is_allowed_by_default(client: QuartClient) -> None:
    headers = await _preflight(client, ALLOWED)
    assert not any(name.startswith("access-control-") for name in headers)


async def test_sockets_are_not_refused_for_their_origin(
    make_settings: Callable[..., Settings],
) -> None:
    async with create_app(make_settings(cors_origins=ALLOWED)).test_app() as app:
        client = app.test_client()
        # A non-browser client sends no Origin; a page elsewhere sends its own.
        for headers in ({}, {"Origin": "https://elsewhere.example"}):
            async with client.websocket("/api/ws", headers=headers) as socket:
                await socket.send('{"type": "ping"}')
                reply = await socket.receive()
                assert "unauthorized" in reply or "pong" in reply
