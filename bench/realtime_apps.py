"""The three WebSocket servers ``bench/realtime_fanout.py`` compares, one at a time.

- ``service_app()``: the service on one node (memory bus, SQLite with the demo
  catalog), served by hypercorn; a ``POST /api/orders`` raises ``order.created``
  to every staff socket, and so does ``POST /bench/broadcast`` (added here, not
  in the service), without the order's database write;
- ``bare_app()``: a bare Quart websocket route on hypercorn; ``POST /trigger``
  sends one pre-serialized frame to every socket in a loop;
- ``python -m bench.realtime_apps PORT``: the ``websockets`` library's server;
  a text ``"trigger"`` from any client makes it ``broadcast()`` one frame.

Every frame carries ``ts`` (Unix seconds when it was raised) and an order of
the same shape, so the clients see frames of the same size from all three.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, cast

from quart import Quart, Response, websocket

from bench.common import bench_settings
from quart_app import create_app
from quart_app.extensions import get_websocket_manager
from quart_app.services.realtime import server_frames as frames

SAMPLE_ORDER: dict[str, Any] = {
    "order_id": "0123456789abcdef0123456789abcdef",
    "customer_id": "customer-1",
    "status": "pending",
    "items": [
        {
            "menu_code": "valentine",
            "style_code": "grand",
            "quantity": 1,
            "customizations": {},
            "unit_price": 38000,
            "line_total": 38000,
        }
    ],
    "total": 38000,
    "assigned_cook": None,
    "assigned_delivery": None,
    "created_at": "2026-11-24T00:00:00Z",
    "updated_at": "2026-11-24T00:00:00Z",
    "version": 1,
    "session_id": None,
}


def sample_frame(sequence: int) -> str:
    """An ``order.created`` frame like the service's, raised now."""
    return frames.notification("order.created", f"{sequence}-0", time.time(), SAMPLE_ORDER)


def service_app() -> Quart:
    """The service as deployed on one node, heartbeats too slow to show up in a run."""
    settings = bench_settings("realtime-bench-", heartbeat_interval=600)
    app = create_app(settings)

    @app.post("/bench/broadcast")
    async def broadcast() -> Response:
        await get_websocket_manager().publisher.broadcast_to_staff("order.created", SAMPLE_ORDER)
        return Response(status=202)

    return app


def bare_app() -> Quart:
    """A websocket route that keeps every socket, and a trigger that loops over them."""
    app = Quart(__name__)
    sockets: set[Any] = set()
    sent = 0

    @app.websocket("/ws")
    async def ws() -> None:
        socket = cast(Any, websocket)._get_current_object()  # the proxy's target, to keep
        sockets.add(socket)
        try:
            while True:
                await websocket.receive()
        finally:
            sockets.discard(socket)

    async def send_to_all(frame: str) -> None:
        for socket in list(sockets):
            await socket.send(frame)

    @app.post("/trigger")
    async def trigger() -> Response:
        nonlocal sent
        sent += 1
        app.add_background_task(send_to_all, sample_frame(sent))
        return Response(status=202)

    return app


async def websockets_server(port: int) -> None:
    """The ``websockets`` library's server and its ``broadcast()``."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    connections: set[ServerConnection] = set()
    sent = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal sent
        connections.add(connection)
        try:
            async for message in connection:
                if message == "trigger":
                    sent += 1
                    broadcast(connections - {connection}, sample_frame(sent))
        finally:
            connections.discard(connection)

    async with serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=None, backlog=4096
    ):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(websockets_server(int(sys.argv[1])))
