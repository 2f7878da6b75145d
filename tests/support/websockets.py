"""WebSocket tests' helpers: frames a client sends, bounded receives, the app's manager."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from quart import Quart
from quart.testing.connections import WebsocketDisconnectError
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from domain.orders import Role
from quart_app.extensions import WEBSOCKET_MANAGER
from quart_app.services.auth.tokens import mint_token
from quart_app.services.realtime.manager import WebSocketManager
from tests.support.tokens import SECRET
from tests.support.waiting import WAIT, eventually

Serve = Callable[..., AbstractAsyncContextManager[Quart]]
Connect = Callable[..., AbstractAsyncContextManager[WsConnection]]


async def receive(ws: WsConnection, within: float = WAIT) -> dict[str, Any]:
    """The next frame from the server, decoded; fails after ``within`` seconds."""
    frame = await asyncio.wait_for(ws.receive(), within)
    assert isinstance(frame, str)
    decoded: dict[str, Any] = json.loads(frame)
    return decoded


async def receive_type(ws: WsConnection, kind: str, within: float = WAIT) -> dict[str, Any]:
    """The next frame of type ``kind``, skipping heartbeats."""

    async def wait() -> dict[str, Any]:
        while True:
            frame = await receive(ws, within)
            if frame["type"] == kind:
                return frame
            assert frame["type"] == "heartbeat", frame

    return await asyncio.wait_for(wait(), within)


async def close_code(ws: WsConnection, within: float = WAIT) -> int:
    """The code the server closes ``ws`` with, skipping frames sent before the close."""

    async def wait() -> int:
        while True:
            try:
                await ws.receive()
            except WebsocketDisconnectError as closed:
                code: int = closed.args[0]
                return code

    return await asyncio.wait_for(wait(), within)


async def forgotten(app: Quart, user_id: str | None = None) -> None:
    """Returns once the app's manager holds no socket (of ``user_id``, if given)."""

    async def none_left() -> bool:
        return manager_of(app).get_connection_count(user_id) == 0

    await eventually(none_left)


def auth_frame(
    user_id: str,
    role: str,
    *,
    token: str | None = None,
    last_event_id: str | None = None,
    **claims: str,
) -> str:
    """A client's first frame; unless given, the token is valid for ``user_id`` and ``role``."""
    frame = {
        "type": "auth",
        "user_id": user_id,
        "user_type": role,
        "token": token if token is not None else mint_token(SECRET, user_id, role),
        "last_event_id": last_event_id,
        **claims,
    }
    return json.dumps(frame)


def manager_of(app: Quart) -> WebSocketManager:
    """The serving app's WebSocket manager."""
    manager: WebSocketManager = app.extensions[WEBSOCKET_MANAGER]
    return manager


async def seen_then_missed_by_cook_k(app: Quart) -> tuple[str, list[str]]:
    """The id of a notification cook ``k`` saw, then those of three it missed.

    The three, ``n`` 1 to 3: ``order.created`` to staff, ``order.assigned`` to
    ``k`` and ``kitchen.note`` to cooks.
    """
    publisher = manager_of(app).publisher
    seen = await publisher.send_to_user("k", "order.assigned", {"n": 0})
    missed = [
        await publisher.broadcast_to_staff("order.created", {"n": 1}),
        await publisher.send_to_user("k", "order.assigned", {"n": 2}),
        await publisher.broadcast_to_role(Role.COOK, "kitchen.note", {"n": 3}),
    ]
    return seen, missed
