"""A socket that can't keep up is closed (1013) without slowing anyone else, and replays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from quart import Quart
from quart.testing import connections
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

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

QUEUE = 4


@asynccontextmanager
async def stalled_socket(app: Quart, user_id: str, role: str) -> AsyncIterator[None]:
    """A socket that stops reading after ``connected``; on exit, expects it closed 1013.

    The test client never pushes back on the server, so its ASGI send is gated:
    the server's send for this socket blocks like a full TCP buffer would.
    """
    reading = asyncio.Event()
    ws = app.test_client().websocket("/api/ws")
    assert isinstance(ws, connections.TestWebsocketConnection)
    deliver = ws._asgi_send

    async def stalling_send(message: Any) -> None:
        if message["type"] == "websocket.send" and '"connected"' not in message.get("text", ""):
            await reading.wait()
        await deliver(message)

    ws._asgi_send = stalling_send  # type: ignore[method-assign]
    async with ws:
        await ws.send(auth_frame(user_id, role))
        assert (await receive(ws))["type"] == "connected"
        yield
        await forgotten(app, user_id)
        reading.set()
        assert await close_code(ws) == 1013


async def ids_of(ws: WsConnection, count: int) -> list[str]:
    return [(await receive_type(ws, "order.created"))["id"] for _ in range(count)]


async def test_a_slow_consumer_is_closed_and_the_others_keep_receiving(
    serve: Serve, connect: Connect
) -> None:
    async with (
        serve(ws_send_queue=QUEUE, heartbeat_interval=60) as app,
        connect(app, "fast", "cook") as fast,
        stalled_socket(app, "slow", "cook"),
    ):
        manager = manager_of(app)
        sent = [
            await manager.publisher.broadcast_to_staff("order.created", {"n": n})
            for n in range(QUEUE * 3)
        ]
        assert await ids_of(fast, len(sent)) == sent
        await forgotten(app, "slow")
        assert manager.get_connection_count("fast") == 1


async def test_a_closed_slow_consumer_recovers_by_replay(serve: Serve, connect: Connect) -> None:
    async with serve(ws_send_queue=QUEUE, heartbeat_interval=60) as app:
        manager = manager_of(app)
        before = await manager.publisher.broadcast_to_staff("order.created", {"n": -1})
        async with stalled_socket(app, "slow", "cook"):
            sent = [
                await manager.publisher.broadcast_to_staff("order.created", {"n": n})
                for n in range(QUEUE * 3)
            ]
        async with connect(app, "slow", "cook", last_event_id=before) as again:
            assert await ids_of(again, len(sent)) == sent
