"""A socket lives as long as its token: closed 4498 once it expires, unless refreshed."""

from __future__ import annotations

import json
import time

import pytest
from quart import Quart

from quart_app.services.auth.tokens import CLOCK_LEEWAY_SECONDS, mint_token
from tests.support.tokens import SECRET
from tests.support.websockets import auth_frame, close_code, manager_of, receive, receive_type

TTL = 600


def _later(app: Quart, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the manager's clock ``seconds`` ahead, and keep its sockets from looking silent."""
    manager = manager_of(app)
    now = time.time() + seconds
    monkeypatch.setattr(manager, "_clock", lambda: now)
    for socket in manager._sockets.values():
        socket.last_seen = now


async def test_a_socket_is_closed_4498_once_its_token_expires(
    app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    async with client.websocket("/api/ws") as short, client.websocket("/api/ws") as long:
        await short.send(auth_frame("k", "cook", token=mint_token(SECRET, "k", "cook", ttl=TTL)))
        await long.send(auth_frame("m", "cook", token=mint_token(SECRET, "m", "cook", ttl=TTL * 3)))
        assert (await receive(short))["type"] == (await receive(long))["type"] == "connected"
        _later(app, monkeypatch, TTL + CLOCK_LEEWAY_SECONDS + 1)
        manager_of(app).send_heartbeat()
        assert await close_code(short) == 4498
        assert (await receive(long))["type"] == "heartbeat"


async def test_a_new_auth_frame_refreshes_the_token(
    app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send(auth_frame("k", "cook", token=mint_token(SECRET, "k", "cook", ttl=TTL)))
        assert (await receive(ws))["type"] == "connected"
        fresh = mint_token(SECRET, "k", "cook", ttl=TTL * 3)
        await ws.send(auth_frame("k", "cook", token=fresh))
        refreshed = await receive_type(ws, "token_refreshed")
        assert refreshed["expires_at"] == pytest.approx(time.time() + TTL * 3 + 10, abs=5)
        _later(app, monkeypatch, TTL * 2)
        manager_of(app).send_heartbeat()
        assert (await receive(ws))["type"] == "heartbeat"


@pytest.mark.parametrize(
    "frame",
    [
        auth_frame("other", "cook", token=mint_token(SECRET, "other", "cook", ttl=TTL * 3)),
        auth_frame("k", "manager", token=mint_token(SECRET, "k", "manager", ttl=TTL * 3)),
        auth_frame("k", "cook", token=mint_token("another-key" * 4, "k", "cook", ttl=TTL * 3)),
        json.dumps({"type": "auth", "user_id": "k"}),
    ],
    ids=["other-user", "other-role", "forged", "incomplete"],
)
async def test_a_refused_refresh_keeps_the_old_expiry(
    app: Quart, monkeypatch: pytest.MonkeyPatch, frame: str
) -> None:
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send(auth_frame("k", "cook", token=mint_token(SECRET, "k", "cook", ttl=TTL)))
        assert (await receive(ws))["type"] == "connected"
        await ws.send(frame)
        error = await receive_type(ws, "error")
        assert error["code"] == "unauthorized"
        _later(app, monkeypatch, TTL * 2)
        manager_of(app).send_heartbeat()
        assert await close_code(ws) == 4498
