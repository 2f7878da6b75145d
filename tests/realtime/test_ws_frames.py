"""Bad frames get an error frame; the socket, and everyone else's, carry on."""

from __future__ import annotations

import json

import pytest
from quart import Quart

from tests.realtime.conftest import Connect, Serve, manager_of, receive, receive_type


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"no_type": 1}', "invalid_frame"),
        ('{"type": 3}', "invalid_frame"),
        ('{"type": "subscribe"}', "unknown_type"),
        ('{"type": "auth", "user_id": "k"}', "invalid_frame"),
        (b"\x00binary", "invalid_frame"),
        (json.dumps({"type": "ping", "pad": "x" * 300}), "frame_too_large"),
        (json.dumps({"type": "ping", "pad": "é" * 150}), "frame_too_large"),
    ],
    ids=[
        "not-json",
        "array",
        "no-type",
        "type-not-string",
        "unknown",
        "second-auth",
        "binary",
        "too-large",
        "too-large-in-utf8",
    ],
)
async def test_a_bad_frame_gets_an_error_and_the_socket_carries_on(
    serve: Serve, connect: Connect, frame: str | bytes, code: str
) -> None:
    async with (
        serve(ws_max_message_bytes=256, heartbeat_interval=60) as app,
        connect(app, "k", "cook") as sender,
        connect(app, "m", "manager") as bystander,
    ):
        await sender.send(frame)
        error = await receive(sender)
        assert (error["type"], error["code"]) == ("error", code)
        assert error["message"]
        await sender.send(json.dumps({"type": "ping"}))
        assert await receive(sender) == {"type": "pong"}
        await manager_of(app).broadcast_to_staff("order.created", {"order_id": 1})
        for ws in (sender, bystander):
            assert (await receive_type(ws, "order.created"))["data"] == {"order_id": 1}


async def test_ping_gets_pong_and_pong_gets_nothing(app: Quart, connect: Connect) -> None:
    async with connect(app, "k", "cook") as ws:
        await ws.send(json.dumps({"type": "pong"}))
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
