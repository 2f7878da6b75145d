"""Bad frames get an error frame; the socket, and everyone else's, carry on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from bus import BusUnavailable
from quart_app.services.realtime import manager as websocket_manager
from quart_app.services.realtime.client_frames import reply_to
from quart_app.services.realtime.replay import Replay
from tests.support.websockets import (
    Connect,
    Serve,
    auth_frame,
    close_code,
    forgotten,
    manager_of,
    receive,
    receive_type,
)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"no_type": 1}', "invalid_frame"),
        ('{"type": 3}', "invalid_frame"),
        ('{"type": "subscribe"}', "unknown_type"),
        ('{"type": "auth", "user_id": "k"}', "unauthorized"),
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
        await answered_and_carry_on(app, sender, bystander, frame, code)


async def test_json_nested_too_deep_gets_an_error_and_the_socket_carries_on(
    app: Quart, connect: Connect
) -> None:
    async with connect(app, "k", "cook") as sender, connect(app, "m", "manager") as bystander:
        await answered_and_carry_on(app, sender, bystander, "[" * 60_000, "invalid_json")


async def test_a_server_failure_on_one_frame_gets_an_error_and_the_socket_carries_on(
    app: Quart, connect: Connect, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bug = RuntimeError("a bug")

    def reply_or_fail(raw: str | bytes, *args: Any) -> str | None:
        if raw == "boom":
            raise bug
        return reply_to(raw, *args)

    monkeypatch.setattr(websocket_manager, "reply_to", reply_or_fail)
    async with connect(app, "k", "cook") as sender, connect(app, "m", "manager") as bystander:
        await answered_and_carry_on(app, sender, bystander, "boom", "internal_error")
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] == [bug]


async def test_a_server_failure_ending_a_connection_closes_it_1011(
    app: Quart, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = manager_of(app)

    async def failing_replay(*_: object) -> Replay:
        raise RuntimeError("a bug")

    monkeypatch.setattr(manager.publisher.log, "replay", failing_replay)
    async with connect(app, "m", "manager") as bystander:
        async with app.test_client().websocket("/api/ws") as failed:
            await failed.send(auth_frame("k", "cook", last_event_id="1-0"))
            assert await close_code(failed) == 1011
        await forgotten(app, "k")
        event_id = await manager.publisher.broadcast_to_staff("order.created", {})
        assert (await receive_type(bystander, "order.created"))["id"] == event_id


async def test_a_bus_down_when_a_socket_connects_closes_it_1013(
    app: Quart, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def bus_down(*_: object) -> str:
        raise BusUnavailable("Redis is unavailable")

    monkeypatch.setattr(manager_of(app).publisher.log, "epoch", bus_down)
    async with app.test_client().websocket("/api/ws") as refused:
        await refused.send(auth_frame("k", "cook"))
        assert await close_code(refused) == 1013  # try again later, not a server error
    await forgotten(app, "k")
    assert "Traceback" not in caplog.text


async def answered_and_carry_on(
    app: Quart, sender: WsConnection, bystander: WsConnection, frame: str | bytes, code: str
) -> None:
    """``sender`` sends ``frame`` and gets error ``code``; both sockets then work as before."""
    await sender.send(frame)
    error = await receive(sender)
    assert (error["type"], error["code"]) == ("error", code)
    assert error["message"]
    await sender.send(json.dumps({"type": "ping"}))
    assert await receive(sender) == {"type": "pong"}
    await manager_of(app).publisher.broadcast_to_staff("order.created", {"order_id": 1})
    for ws in (sender, bystander):
        assert (await receive_type(ws, "order.created"))["data"] == {"order_id": 1}


async def test_ping_gets_pong_and_pong_gets_nothing(app: Quart, connect: Connect) -> None:
    async with connect(app, "k", "cook") as ws:
        await ws.send(json.dumps({"type": "pong"}))
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
