"""The first frame authenticates the socket; anything else ends it with 4401."""

from __future__ import annotations

import json

import pytest
from quart import Quart
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from quart_app.services.auth.tokens import mint_token
from tests.support.websockets import Serve, auth_frame, close_code, manager_of, receive


async def rejected(ws: WsConnection) -> tuple[dict[str, object], int]:
    """The error frame the server sends, and the close code that follows it."""
    return await receive(ws), await close_code(ws)


async def test_valid_auth_is_answered_with_connected(app: Quart) -> None:
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send(auth_frame("7", "cook"))
        connected = await receive(ws)
        assert connected["type"] == "connected"
        assert (connected["user_id"], connected["user_type"]) == ("7", "cook")
        assert connected["heartbeat_interval"] == 60
        assert isinstance(connected["connection_id"], str) and connected["connection_id"]
        assert manager_of(app).get_connection_count("7") == 1


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (auth_frame("7", "cook", token=mint_token("another-key" * 4, "7", "cook")), "signature"),
        (
            auth_frame(
                "7",
                "cook",
                token=mint_token(
                    "test-secret-key-that-is-long-enough-for-hs256", "7", "cook", ttl=-60
                ),
            ),
            "expired",
        ),
        (
            auth_frame(
                "8",
                "cook",
                token=mint_token("test-secret-key-that-is-long-enough-for-hs256", "7", "cook"),
            ),
            "match",
        ),
        (
            auth_frame(
                "7",
                "manager",
                token=mint_token("test-secret-key-that-is-long-enough-for-hs256", "7", "cook"),
            ),
            "match",
        ),
        (auth_frame("7", "cook", token="not-a-jwt"), "not a well-formed JWT"),
        (json.dumps({"type": "ping"}), "auth frame"),
        ("not json", "auth frame"),
        (
            json.dumps({"type": "auth", "user_id": "7", "user_type": "chef", "token": "x"}),
            "user_type",
        ),
        (auth_frame("7", "cook", last_event_id="yesterday"), "last_event_id"),
        (auth_frame("7", "cook", last_event_id=f"{2**64}-0"), "last_event_id"),
        (
            auth_frame(
                "7",
                "cook",
                token=mint_token(
                    "test-secret-key-that-is-long-enough-for-hs256", "7\ud800", "cook"
                ),
            ),
            "Unicode",
        ),
    ],
    ids=[
        "forged",
        "expired",
        "other-user",
        "other-role",
        "garbage-token",
        "not-auth",
        "not-json",
        "unknown-role",
        "bad-last-id",
        "last-id-too-big",
        "surrogate-sub",
    ],
)
async def test_bad_auth_gets_an_error_and_4401(app: Quart, frame: str, reason: str) -> None:
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send(frame)
        error, code = await rejected(ws)
    assert error["type"] == "error" and error["code"] == "unauthorized"
    assert reason in str(error["message"])
    assert code == 4401
    assert manager_of(app).get_connection_count() == 0


async def test_no_auth_in_time_closes_4401(serve: Serve) -> None:
    async with serve(ws_auth_timeout=0.05) as app, app.test_client().websocket("/api/ws") as ws:
        error, code = await rejected(ws)
    assert error["code"] == "unauthorized" and "No auth frame" in str(error["message"])
    assert code == 4401


async def test_an_oversized_auth_frame_is_refused(serve: Serve) -> None:
    async with serve(ws_max_message_bytes=256) as app, app.test_client().websocket("/api/ws") as ws:
        await ws.send(auth_frame("7", "cook", padding="x" * 300))
        error, code = await rejected(ws)
    assert "too large" in str(error["message"]) and code == 4401
